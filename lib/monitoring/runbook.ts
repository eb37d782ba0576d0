/**
 * Where every alarm description sends the operator: an entry of docs/runbook.md, a `## <entry>`
 * heading per alarm, linked by its GitHub heading anchor (the entries are written as their own
 * anchors: lower case, words joined by `-`). test/infra/runbook.test.ts checks every link against
 * the runbook's headings, and every heading against the alarms.
 */
export const RUNBOOK_PATH = 'docs/runbook.md';

/** The one entry shared by the `<function>-errors` and `<function>-throttles` alarms of every function. */
export const FUNCTION_ERRORS_AND_THROTTLES_ENTRY = 'function-errors-and-throttles';

/** An alarm description: what happened and what to do, ending with the link to its runbook entry. */
export function alarmDescription(whatAndWhy: string, runbookEntry: string): string {
  return `${whatAndWhy} Runbook: ${RUNBOOK_PATH}#${runbookEntry}`;
}
