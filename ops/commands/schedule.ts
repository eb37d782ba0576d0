/** `txc schedule [show|pause|resume]`: the state of the schedule that starts the workflow. */
import { fields, type Io, json } from '../../cli/io';
import type { ScheduleInfo, Target } from '../target';

export type ScheduleAction = 'show' | 'pause' | 'resume';
export const SCHEDULE_ACTIONS: readonly ScheduleAction[] = ['show', 'pause', 'resume'];

export async function scheduleCommand(
  target: Target,
  action: ScheduleAction,
  deps: { io: Io; json: boolean; width?: number },
): Promise<number> {
  let before: ScheduleInfo;
  let after: ScheduleInfo;
  let changed = false;
  if (action === 'show') {
    before = after = await target.scheduler.describe();
  } else {
    ({ before, after, changed } = await target.scheduler.setState(
      action === 'pause' ? 'DISABLED' : 'ENABLED',
    ));
  }
  if (deps.json) {
    deps.io.out(
      json({
        schedule: after.name,
        expression: after.expression,
        state: after.state,
        previousState: before.state,
        changed,
      }),
    );
  } else {
    deps.io.out(
      fields(
        [
          ['schedule', after.name],
          ['expression', after.expression],
          [
            'state',
            action === 'show'
              ? after.state
              : changed
                ? `${after.state} (was ${before.state})`
                : `${after.state} (already; nothing changed)`,
          ],
        ],
        deps.width,
      ),
    );
  }
  return 0;
}
