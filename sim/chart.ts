/**
 * `--chart out.svg`: load vs capacity over time, one panel per policy, drawn with Vega-Lite and rendered
 * headless by Vega's View.toSVG (no browser). Vega ships as an ES module with top-level await, so it is loaded
 * with a native dynamic import (TypeScript compiled to CommonJS would turn `import()` into `require()`).
 */
import { SimResult } from "./engine";

// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

/** Chart rows: every `stepS` seconds, per policy, three series in participants. */
export function chartRows(r: SimResult, participantsAt08: number, stepS: number): { hour: number; policy: string; series: string; participants: number }[] {
  const rows: { hour: number; policy: string; series: string; participants: number }[] = [];
  for (const p of r.policies) {
    for (const [t, load, ready, billed] of p.timeline) {
      if (t % stepS !== 0) continue;
      const hour = +(t / 3600).toFixed(3);
      rows.push({ hour, policy: p.name, series: "load (participants on bridges)", participants: load });
      rows.push({ hour, policy: p.name, series: "ready capacity at stress 0.8", participants: ready });
      rows.push({ hour, policy: p.name, series: "billed bridges × capacity at 0.8", participants: billed * participantsAt08 });
    }
  }
  return rows;
}

/** The Vega-Lite specification (exported for tests). */
export function chartSpec(title: string, rows: ReturnType<typeof chartRows>): object {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: rows },
    facet: { row: { field: "policy", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left", labelFontWeight: "bold" } } },
    spec: {
      width: 900,
      height: 150,
      mark: { type: "line", interpolate: "step-after", strokeWidth: 1.2 },
      encoding: {
        x: { field: "hour", type: "quantitative", title: "hours since trace start" },
        y: { field: "participants", type: "quantitative", title: "participants" },
        color: {
          field: "series",
          type: "nominal",
          title: null,
          scale: { range: ["#444444", "#1f77b4", "#d62728"] },
          legend: { orient: "top", labelLimit: 400, columns: 3 },
        },
      },
    },
    resolve: { scale: { y: "shared" } },
  };
}

/** Renders the chart to SVG text. */
export async function renderChart(title: string, r: SimResult, participantsAt08: number): Promise<string> {
  const vega = await importEsm("vega");
  const vl = await importEsm("vega-lite");
  const stepS = r.endS > 2 * 86400 ? 600 : 300;
  const compiled = vl.compile(chartSpec(title, chartRows(r, participantsAt08, stepS)) as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  return view.toSVG();
}
