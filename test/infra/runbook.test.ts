// Every alarm links to an entry of the runbook that exists, and every entry is some alarm's or
// some `txc doctor` check's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNBOOK_PATH } from '../../lib/monitoring/runbook';
import { githubAnchors } from '../support/markdown';
import { testStack } from '../support/template';

const runbook = fs.readFileSync(path.join(__dirname, '..', '..', RUNBOOK_PATH), 'utf8');
const headings = [...runbook.matchAll(/^(#{1,6}) (.+)$/gm)].map((m) => ({
  level: m[1].length,
  text: m[2],
}));
const slugs = githubAnchors(headings.map((h) => h.text));
/** The anchors of the runbook's entries: its `##` headings. */
const entries = slugs.filter((_, i) => headings[i].level === 2);

const LINK = /Runbook: docs\/runbook\.md#([\w-]+)$/;

describe('runbook', () => {
  const alarms = Object.entries(testStack().template.Resources).filter(
    ([, r]) => r.Type === 'AWS::CloudWatch::Alarm',
  );
  const links = alarms.map(([logicalId, alarm]) => ({
    logicalId,
    anchor: LINK.exec(String(alarm.Properties?.AlarmDescription ?? ''))?.[1],
  }));

  it('computes anchors the way GitHub does', () => {
    expect(
      githubAnchors(['Function errors & throttles', '`txc status`', 'A b', 'a-b', 'A b']),
    ).toEqual(['function-errors--throttles', 'txc-status', 'a-b', 'a-b-1', 'a-b-2']);
  });

  it('has alarms and entries to check', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(15);
    expect(entries.length).toBeGreaterThanOrEqual(13);
    for (const entry of [
      'dynamodb-throttles',
      'dynamodb-system-errors',
      'transactions-update-latency',
    ]) {
      expect(links.map((l) => l.anchor)).toContain(entry);
    }
  });

  it(`every alarm description ends with a link to an entry of ${RUNBOOK_PATH}`, () => {
    expect(links.filter((l) => l.anchor === undefined).map((l) => l.logicalId)).toEqual([]);
    expect(links.filter((l) => !entries.includes(l.anchor!))).toEqual([]);
  });

  it('every entry of the runbook is the entry of at least one alarm or txc doctor check', () => {
    const doctor = fs.readFileSync(
      path.join(__dirname, '..', '..', 'ops', 'doctor', 'checks.ts'),
      'utf8',
    );
    const fromDoctor = [...doctor.matchAll(/\$\{RUNBOOK\}#([\w-]+)|entry: '([\w-]+)'/g)].map(
      (m) => m[1] ?? m[2],
    );
    expect(fromDoctor).toContain('stuck-run-lock');
    const linked = new Set([...links.map((l) => l.anchor), ...fromDoctor]);
    expect(entries.filter((entry) => !linked.has(entry))).toEqual([]);
  });
});
