// Chart.js is tree-shaken: only the pieces the studio's bar and line charts use are registered, once,
// with defaults that match the app's typography and palette.
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
  Tooltip
} from 'chart.js'
import { CHART_COLORS } from './theme'

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip
)

Chart.defaults.font.family =
  "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
Chart.defaults.font.size = 12
Chart.defaults.color = CHART_COLORS.text
Chart.defaults.borderColor = CHART_COLORS.grid
Chart.defaults.plugins.legend.labels.boxWidth = 12
Chart.defaults.plugins.legend.labels.boxHeight = 12
Chart.defaults.plugins.tooltip.backgroundColor = 'rgba(15, 23, 42, 0.9)'
Chart.defaults.plugins.tooltip.padding = 8
Chart.defaults.plugins.tooltip.cornerRadius = 6

export { Chart }

// People who ask their system for less motion get charts that draw at once (this also makes the
// end-to-end screenshots show the final picture, not a frame of the grow-in animation).
if (window.matchMedia?.('(prefers-reduced-motion: reduce)').matches)
  Chart.defaults.animation = false
