// Report charts (reports/templates/reports/dashboard.html, parity.html): Chart.js, served from
// node_modules, draws each <canvas data-chart="name"> from the JSON the page carries in
// <script type="application/json" id="report-charts"> (json_script: no inline script, so the
// Content-Security-Policy stays as it is). Labels arrive translated; numbers are formatted in
// the page's language. Every chart's figures are also in the table below it.
(() => {
  const PALETTE = ["#1b6f3a", "#c26d00", "#b3261e", "#2f5fa7", "#6b4fa3", "#3d8c8c"];

  function build(canvas, spec, locale) {
    const horizontal = Boolean(spec.horizontal);
    const valueAxis = horizontal ? "x" : "y";
    const scales = {
      x: { stacked: Boolean(spec.stacked) },
      y: { stacked: Boolean(spec.stacked) },
    };
    scales[valueAxis].beginAtZero = true;
    if (spec.max) scales[valueAxis].max = spec.max;
    if (spec.unit) scales[valueAxis].title = { display: true, text: spec.unit };
    else scales[valueAxis].ticks = { precision: 0 }; // people are counted in whole numbers
    const datasets = spec.datasets.map((dataset, index) => ({
      ...dataset,
      backgroundColor: PALETTE[index % PALETTE.length],
      borderColor: PALETTE[index % PALETTE.length],
      spanGaps: true,
    }));
    const rows = spec.labels.length;
    if (horizontal) canvas.parentElement.style.height = `${Math.max(160, rows * 28 + 60)}px`;
    return new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets },
      options: {
        locale,
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: !horizontal,
        aspectRatio: 2.5,
        animation: false,
        scales,
        plugins: { legend: { display: datasets.length > 1 } },
      },
    });
  }

  function drawAll() {
    const source = document.getElementById("report-charts");
    if (!source || !window.Chart) return;
    const charts = JSON.parse(source.textContent);
    const locale = document.documentElement.lang || "es";
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const spec = charts[canvas.dataset.chart];
      if (spec && spec.labels.length) build(canvas, spec, locale);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
