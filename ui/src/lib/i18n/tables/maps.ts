// Maps and geometry (地图): boundaries, building positions, the visit authenticity check (走访核验).
import type { Table } from '../index';

const table: Table = {
  'check.no_fix': ['无定位', 'No fix'],
  'check.too_far': ['距楼栋 {n} 米', '{n} m from the building'],
  'check.poor_fix': ['定位精度 {n} 米', 'Fix accurate to {n} m'],
  'check.too_short': ['用时 {n} 秒', 'Took {n} s'],
  'check.title': ['走访核验', 'Visit check'],
  'admin.nav.map': ['地图', 'Map'],
  'map.title': ['网格地图', 'Grid map'],
  'map.hint': [
    '网格与社区边界、按本周期走访情况着色的楼栋、本月事件（按状态着色、相近的合并显示、超期在上）、网格员一天的轨迹（走访与上报定位、巡查轨迹，按时间连线，间断处虚线）。导入 GeoJSON（WGS-84）可放置楼栋、绘制边界。',
    'Grid and community boundaries, buildings coloured by visits this cycle, this month’s incidents (coloured by state, nearby ones grouped, overdue on top), and a worker’s day as a track (visit and report fixes and patrol points joined by time, dashed across gaps). Import GeoJSON (WGS-84) to place buildings and draw boundaries.',
  ],
  'map.mine': ['我的网格地图', 'My grid on a map'],
  'map.list': ['列表', 'List'],
  'map.map': ['地图', 'Map'],
  'map.open_reports': ['{n} 件未办结', '{n} open reports'],
  'map.no_position': ['暂无定位', 'No position yet'],
  'map.worker': ['轨迹', 'Track of'],
  'map.no_track': ['（不显示）', '(none)'],
  'map.day': ['日期', 'Day'],
  'map.incidents': ['显示本月事件', 'Show this month’s incidents'],
  'map.tone.overdue': ['超期事件', 'Overdue'],
  'map.tone.verify': ['待核查', 'To check on site'],
  'map.tone.open': ['办理中', 'Open'],
  'map.tone.closed': ['已办结', 'Closed'],
  'map.import': ['导入 GeoJSON', 'Import GeoJSON'],
  'map.import.done': ['已放置 {buildings} 栋楼，绘制 {units} 条边界', 'Placed {buildings} buildings, drew {units} boundaries'],
  'map.import.not_json': ['文件不是 JSON（GeoJSON FeatureCollection）', 'The file is not JSON (a GeoJSON FeatureCollection)'],
  'map.coverage.visited': ['已走访', 'Visited'],
  'map.coverage.partly': ['部分走访', 'Partly visited'],
  'map.coverage.due': ['应访', 'Due'],
  'map.coverage.overdue': ['已超期', 'Overdue'],
  'map.coverage.none': ['无住户', 'No households'],
  'map.unplaced': ['{n} 栋楼未定位', '{n} buildings not placed'],
  'map.stop.visit': ['走访', 'Visit'],
  'map.stop.incident': ['上报', 'Report'],
  'map.stop.patrol': ['巡查', 'Patrol'],
  'map.track.title': ['{name} · {day}', '{name} · {day}'],
  'map.track.summary': [
    '{n} 个定位点，约 {m} 米，{gaps} 处间断（超过 30 分钟），{blind} 次走访无定位',
    '{n} points, about {m} m, {gaps} gaps (over 30 minutes), {blind} visits without a fix',
  ],
};

export default table;
