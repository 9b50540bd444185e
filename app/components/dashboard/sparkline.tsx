import { useI18n } from "~/hooks/use-i18n";

/**
 * A small SVG line chart: no chart library, readable without JS (it is
 * server-rendered), described for screen readers by its latest and highest value.
 */
export function Sparkline({
  title,
  series,
  format,
}: {
  title: string;
  series: Array<{ name: string; values: number[]; stroke: string; dot: string }>;
  format: (value: number) => string;
}) {
  const { t } = useI18n();
  const width = 320;
  const height = 80;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const path = (values: number[]) =>
    values
      .map((v, i) => {
        const x = values.length > 1 ? (i / (values.length - 1)) * width : width;
        const y = height - (v / max) * (height - 4) - 2;
        return `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
      })
      .join(" ");
  const latest = series.map((s) => `${s.name} ${format(s.values.at(-1) ?? 0)}`).join(", ");
  return (
    <figure className="rounded-xl border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
      <figcaption className="flex items-baseline justify-between gap-2 text-sm">
        <span className="font-semibold">{title}</span>
        <span className="text-xs text-slate-600 dark:text-slate-400">{t("dashboard.chart.max", { value: format(max) })}</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        className="mt-2 h-20 w-full"
        role="img"
        aria-label={t("dashboard.chart.summary", { title, latest, max: format(max) })}
      >
        {series.map((s) =>
          s.values.length ? <path key={s.name} d={path(s.values)} fill="none" strokeWidth="2" vectorEffect="non-scaling-stroke" className={s.stroke} /> : null,
        )}
      </svg>
      <p className="mt-1 flex flex-wrap gap-x-3 text-xs text-slate-600 dark:text-slate-300">
        {series.map((s) => (
          <span key={s.name}>
            <span aria-hidden className={`mr-1 inline-block h-2 w-2 rounded-full ${s.dot}`} />
            {s.name}: {format(s.values.at(-1) ?? 0)}
          </span>
        ))}
      </p>
    </figure>
  );
}
