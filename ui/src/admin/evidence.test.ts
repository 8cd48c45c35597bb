// The records-and-evidence page's helpers.
import { describe, expect, it } from 'vitest';
import { blobPath, flagText, byteText, defaultRange, previewPath, recordsPath, recordTitle, shortHash, waitsForUploads, type EvidenceRecord } from './evidence';

const hash = 'ab'.repeat(32);

function record(over: Partial<EvidenceRecord>): EvidenceRecord {
  return {
    id: 'r1', kind: 'visit', at: 0, grid_id: 'g', grid: '第一网格', category: null, category_name: null,
    household_id: 'h', address: '幸福路18号1号楼101', text: '', actor_id: null, actor: '', status: null,
    photos: [], audio: [], flags: [], ...over,
  };
}

describe('evidence helpers', () => {
  it('names each visit check flag with its figure', () => {
    expect(flagText({ flag: 'no_fix' })).toEqual(['check.no_fix', {}]);
    expect(flagText({ flag: 'too_far', metres: 445 })).toEqual(['check.too_far', { n: 445 }]);
    expect(flagText({ flag: 'poor_fix', accuracy_m: 250 })).toEqual(['check.poor_fix', { n: 250 }]);
    expect(flagText({ flag: 'too_short', seconds: 60 })).toEqual(['check.too_short', { n: 60 }]);
    expect(flagText({ flag: 'adjusted', metres: 334 })).toEqual(['check.adjusted', { n: 334 }]);
  });

  it('builds the records path without empty filters', () => {
    expect(recordsPath({})).toBe('/api/records');
    expect(recordsPath({ kind: 'incident', from: '', to: '2026-03-02', limit: 50 })).toBe(
      '/api/records?kind=incident&to=2026-03-02&limit=50',
    );
  });

  it('starts the date inputs on the 30 days up to today, across month and year ends', () => {
    expect(defaultRange(new Date(2026, 2, 2))).toEqual({ from: '2026-01-31', to: '2026-03-02' });
    expect(defaultRange(new Date(2027, 0, 15))).toEqual({ from: '2026-12-16', to: '2027-01-15' });
  });

  it('shows the thumbnail when there is one, the photo otherwise, nothing before upload', () => {
    expect(blobPath(hash)).toBe(`/api/blobs/${hash}`);
    expect(previewPath({ hash, uploaded: true, thumbnail: true })).toBe(`/api/blobs/${hash}?thumbnail=1`);
    expect(previewPath({ hash, uploaded: true, thumbnail: false })).toBe(`/api/blobs/${hash}`);
    expect(previewPath({ hash, uploaded: false, thumbnail: false })).toBeNull();
  });

  it('titles incidents by category and visits by address', () => {
    expect(recordTitle(record({}))).toBe('幸福路18号1号楼101');
    expect(recordTitle(record({ kind: 'incident', category: 'env.garbage', category_name: '暴露垃圾' }))).toBe('暴露垃圾');
    expect(recordTitle(record({ kind: 'incident', category: 'env.garbage' }))).toBe('env.garbage');
  });

  it('tells which records still wait for uploads', () => {
    expect(waitsForUploads(record({ audio: [{ hash, uploaded: false, thumbnail: false }] }))).toBe(true);
    expect(waitsForUploads(record({ photos: [{ hash, uploaded: true, thumbnail: true }] }))).toBe(false);
  });

  it('writes hashes and sizes short', () => {
    expect(shortHash(hash)).toBe('ababababab');
    expect(byteText(512)).toBe('512 B');
    expect(byteText(2048)).toBe('2.0 KB');
    expect(byteText(3 * 1024 * 1024)).toBe('3.0 MB');
  });
});
