// Pictures where people would rather look than read, with Chart.js: a
// subscription's events and deliveries over time, an account's daily
// statistics, and the best days to post.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import type { Delivery } from "./api";
import { h } from "./ui";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

/** A canvas with a chart and a text alternative for screen readers. */
function canvas(label: string, summary: string): { figure: HTMLElement; canvas: HTMLCanvasElement } {
  const element = h("canvas", { role: "img", "aria-label": `${label}: ${summary}` }) as HTMLCanvasElement;
  const figure = h("figure", { class: "chart" }, element, h("figcaption", {}, label));
  return { figure, canvas: element };
}

/** Draws once the canvas is in the page: Chart.js sizes a chart from its
 * container, which a detached canvas does not have yet. */
function draw(el: HTMLCanvasElement, config: ConstructorParameters<typeof Chart>[1]): void {
  requestAnimationFrame(() => new Chart(el, config));
}

/** Deliveries per hour of their event, stacked by outcome. */
export function deliveriesChart(deliveries: Delivery[]): HTMLElement {
  const hours = new Map<string, { delivered: number; retried: number; dead: number }>();
  for (const d of deliveries) {
    const hour = (d.event.createdAt ?? "").slice(0, 13).replace("T", " ") + ":00";
    const slot = hours.get(hour) ?? { delivered: 0, retried: 0, dead: 0 };
    if (d.status === "dead") slot.dead += 1;
    else if (d.status === "delivered" && d.attempts <= 1) slot.delivered += 1;
    else slot.retried += 1;
    hours.set(hour, slot);
  }
  const labels = [...hours.keys()].sort();
  const series = (k: "delivered" | "retried" | "dead") => labels.map((l) => hours.get(l)![k]);
  const total = deliveries.length;
  const { figure, canvas: el } = canvas(
    "Events and deliveries per hour",
    `${total} events; ${series("dead").reduce((a, b) => a + b, 0)} dead-lettered`,
  );
  draw(el, {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: "delivered", data: series("delivered"), backgroundColor: "#1f7a3a" },
        { label: "retried", data: series("retried"), backgroundColor: "#b35c00" },
        { label: "dead-lettered", data: series("dead"), backgroundColor: "#a4161a" },
      ],
    },
    options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  return figure;
}

/** A daily series (likes, comments, …) over the statistics' day range. */
export function dailyChart(label: string, days: string[], series: Record<string, number[]>): HTMLElement {
  const { figure, canvas: el } = canvas(label, Object.keys(series).join(", ") + ` over ${days.length} days`);
  const colours = ["#1f4e79", "#1f7a3a", "#b35c00", "#6a1b9a"];
  draw(el, {
    type: "line",
    data: {
      labels: days,
      datasets: Object.entries(series).map(([name, data], i) => ({
        label: name,
        data,
        borderColor: colours[i % colours.length],
        backgroundColor: colours[i % colours.length],
      })),
    },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } },
  });
  return figure;
}

/** Engagement per post by weekday, the best first. */
export function bestDaysChart(figures: { weekday: string; engagementPerPost: number }[]): HTMLElement {
  const best = figures[0]?.weekday ?? "none";
  const { figure, canvas: el } = canvas("Engagement per post by weekday", `best: ${best}`);
  draw(el, {
    type: "bar",
    data: {
      labels: figures.map((f) => f.weekday),
      datasets: [{ label: "likes and comments per post", data: figures.map((f) => f.engagementPerPost), backgroundColor: "#1f4e79" }],
    },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } },
  });
  return figure;
}
