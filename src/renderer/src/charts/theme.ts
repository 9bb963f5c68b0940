// One palette for every chart: training in blue, validation (and test) in orange.
export const CHART_COLORS = {
  text: '#475569',
  grid: 'rgba(148, 163, 184, 0.25)',
  train: '#2563eb',
  trainSoft: 'rgba(37, 99, 235, 0.75)',
  validation: '#ea580c',
  validationSoft: 'rgba(234, 88, 12, 0.7)'
} as const
