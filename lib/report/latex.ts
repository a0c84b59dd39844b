/**
 * LaTeX rendering of results tables: booktabs rules, sampled and full-ranking metric
 * groups under \multicolumn headers, best values in \textbf, significance marks as
 * superscripts, every piece of text escaped. Needs `\usepackage{booktabs}`.
 *
 * @module
 */
import type { ResultsTable, TableCell } from "./table.ts";

const LATEX_SPECIAL: Record<string, string> = {
  "\\": "\\textbackslash{}",
  "{": "\\{",
  "}": "\\}",
  "$": "\\$",
  "&": "\\&",
  "#": "\\#",
  "^": "\\textasciicircum{}",
  "_": "\\_",
  "%": "\\%",
  "~": "\\textasciitilde{}",
  "<": "\\textless{}",
  ">": "\\textgreater{}",
  "|": "\\textbar{}",
  "±": "$\\pm$",
  "†": "$^{\\dagger}$",
};

/**
 * Escapes text for LaTeX text mode: \ { } $ & # ^ _ % ~ < > | become their escaped forms,
 * ± and † their math forms.
 *
 * @example
 * ```ts
 * escapeLatex("NeuMF_pre (lr=1e-3) & 50%"); // "NeuMF\_pre (lr=1e-3) \& 50\%"
 * ```
 */
export function escapeLatex(text: string): string {
  return text.replace(/[\\{}$&#^_%~<>|±†]/g, (c) => LATEX_SPECIAL[c]);
}

function cellLatex(cell: TableCell | null, precision: number): string {
  if (cell === null) return "--";
  let mean = cell.mean.toFixed(precision);
  if (cell.bold) mean = `\\textbf{${mean}}`;
  const std = cell.n > 1 ? ` {\\scriptsize $\\pm$ ${cell.std.toFixed(precision)}}` : "";
  const mark = cell.mark === "better" ? "$^{*}$" : cell.mark === "worse" ? "$^{\\dagger}$" : "";
  return `${mean}${std}${mark}`;
}

function protocolTitle(protocol: string, negatives: number | null): string {
  if (protocol === "sampled") {
    return negatives ? `Sampled (${negatives} negatives)` : "Sampled";
  }
  if (protocol === "full") return "Full ranking";
  return protocol;
}

/** The table as a LaTeX `table` float with a booktabs `tabular`, caption and notes. */
export function renderLatex(
  t: ResultsTable,
  opts: { caption?: string; label?: string } = {},
): string {
  const nCols = t.columns.length;
  const lines: string[] = [
    `% Generated from results/${t.experiment}/ by lib/report; do not edit by hand.`,
    "% Needs \\usepackage{booktabs}.",
    "\\begin{table}[t]",
    "\\centering",
    `\\caption{${escapeLatex(opts.caption ?? t.title)}}`,
    `\\label{${opts.label ?? `tab:${t.experiment.replace(/[^A-Za-z0-9:.-]/g, "-")}`}}`,
    `\\begin{tabular}{lr${"r".repeat(nCols)}}`,
    "\\toprule",
  ];
  // Group consecutive columns of the same protocol under one header.
  const groups: { protocol: string; from: number; to: number }[] = [];
  t.columns.forEach((c, i) => {
    const last = groups[groups.length - 1];
    if (last && last.protocol === c.protocol) last.to = i;
    else groups.push({ protocol: c.protocol, from: i, to: i });
  });
  if (groups.length > 0) {
    const head = groups.map((g) =>
      `\\multicolumn{${g.to - g.from + 1}}{c}{${
        escapeLatex(protocolTitle(g.protocol, t.negatives))
      }}`
    );
    lines.push(` & & ${head.join(" & ")} \\\\`);
    lines.push(groups.map((g) => `\\cmidrule(lr){${g.from + 3}-${g.to + 3}}`).join(" "));
  }
  lines.push(
    ["Model", "$n$", ...t.columns.map((c) => escapeLatex(c.metric))].join(" & ") + " \\\\",
  );
  lines.push("\\midrule");
  for (const r of t.rows) {
    const name = escapeLatex(r.row) + (r.isBaseline ? " (baseline)" : "");
    const n = r.seeds < r.planned ? `${r.seeds}/${r.planned}` : String(r.seeds);
    lines.push([name, n, ...r.cells.map((c) => cellLatex(c, t.precision))].join(" & ") + " \\\\");
  }
  lines.push("\\bottomrule", "\\end{tabular}");
  if (t.notes.length) {
    lines.push(
      "",
      "\\smallskip",
      `{\\footnotesize ${t.notes.map(escapeLatexNote).join(" ")}\\par}`,
    );
  }
  lines.push("\\end{table}");
  return lines.join("\n") + "\n";
}

/** Notes use "*" and "†" as marks; render both as superscripts like the cells. */
function escapeLatexNote(note: string): string {
  return escapeLatex(note).replace(/^\* \/ \$\^\{\\dagger\}\$/, "$^{*}$ / $^{\\dagger}$");
}
