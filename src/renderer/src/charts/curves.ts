// The line-chart configuration shared by the live chart and a saved model's training curves: loss on
// the left axis, accuracy on the right, training and validation in two colours (loss solid, accuracy
// dashed).
import type { ChartConfiguration, ChartDataset } from 'chart.js'
import type { CurveSeries, XY } from '../lib/training-state'
import { Chart } from './setup'
import { CHART_COLORS } from './theme'

type LineDataset = ChartDataset<'line', XY[]>

function line(
  label: string,
  data: XY[],
  color: string,
  axis: 'yLoss' | 'yAccuracy',
  options: { dashed?: boolean; dots?: boolean } = {}
): LineDataset {
  return {
    label,
    data,
    yAxisID: axis,
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    borderDash: options.dashed ? [6, 4] : [],
    pointRadius: options.dots ? 3 : 0,
    pointHoverRadius: 4,
    tension: 0.25
  }
}

export function curvesChartConfig(
  series: CurveSeries,
  options: { maxEpoch?: number; live?: boolean } = {}
): ChartConfiguration<'line', XY[]> {
  // Per-epoch series are a few points: show them as dots. The live training line is dense.
  const denseTraining = options.live === true
  return {
    type: 'line',
    data: {
      datasets: [
        line('Training loss', series.trainLoss, CHART_COLORS.train, 'yLoss', {
          dots: !denseTraining
        }),
        line('Validation loss', series.valLoss, CHART_COLORS.validation, 'yLoss', { dots: true }),
        line('Training accuracy', series.trainAccuracy, CHART_COLORS.train, 'yAccuracy', {
          dashed: true,
          dots: !denseTraining
        }),
        line('Validation accuracy', series.valAccuracy, CHART_COLORS.validation, 'yAccuracy', {
          dashed: true,
          dots: true
        })
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      // Live updates arrive several times a second: animating each one would only blur the curve.
      animation: options.live ? false : undefined,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        // Lines in the legend show the dash pattern that tells loss from accuracy.
        legend: {
          position: 'bottom',
          labels: {
            usePointStyle: true,
            pointStyle: 'line',
            boxWidth: 28,
            // Chart.js takes a line legend's style from the points, which are never dashed.
            generateLabels: (chart) =>
              Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => ({
                ...item,
                lineWidth: 2,
                lineDash: (chart.data.datasets[item.datasetIndex ?? 0] as LineDataset | undefined)
                  ?.borderDash as number[] | undefined
              }))
          }
        },
        tooltip: {
          callbacks: {
            title: (items) => `Epoch ${Number(items[0]?.parsed.x ?? 0).toFixed(2)}`,
            label: (item) => {
              const y = item.parsed.y ?? 0
              const isAccuracy = item.dataset.yAxisID === 'yAccuracy'
              return `${item.dataset.label}: ${isAccuracy ? (y * 100).toFixed(1) + '%' : y.toFixed(4)}`
            }
          }
        }
      },
      scales: {
        x: {
          type: 'linear',
          // Live: the whole run's width from the start. Saved: epoch 1 to the last.
          min: options.live || (options.maxEpoch ?? 0) < 2 ? 0 : 1,
          max: options.maxEpoch,
          title: { display: true, text: 'Epoch' },
          ticks: { precision: 0 }
        },
        yLoss: {
          type: 'linear',
          position: 'left',
          beginAtZero: true,
          title: { display: true, text: 'Loss' }
        },
        yAccuracy: {
          type: 'linear',
          position: 'right',
          // Live, accuracy climbs from chance: keep 0-100%. Saved, zoom in on the differences.
          min: options.live ? 0 : undefined,
          max: options.live ? 1 : undefined,
          title: { display: true, text: 'Accuracy' },
          grid: { drawOnChartArea: false },
          ticks: { callback: (v) => `${Number((Number(v) * 100).toFixed(1))}%` }
        }
      }
    }
  }
}
