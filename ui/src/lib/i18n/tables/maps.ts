// Maps and geometry (地图): boundaries, building positions, the visit authenticity check (走访核验).
import type { Table } from '../index';

const table: Table = {
  'check.no_fix': ['无定位', 'No fix'],
  'check.too_far': ['距楼栋 {n} 米', '{n} m from the building'],
  'check.poor_fix': ['定位精度 {n} 米', 'Fix accurate to {n} m'],
  'check.too_short': ['用时 {n} 秒', 'Took {n} s'],
  'check.title': ['走访核验', 'Visit check'],
};

export default table;
