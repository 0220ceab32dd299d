/**
 * Which files of one commit hold rows that are new to the table, for incremental readers that must see every row
 * exactly once. Pure.
 *
 * - `dataChange: false` adds only rearrange rows already in the table (OPTIMIZE, DV purge, stats updates).
 * - An add of a data file that the same commit also removes is that file again with a new deletion vector: a
 *   DELETE, UPDATE or MERGE with deletion vectors "removes" the old logical file and re-adds the same path with
 *   more rows deleted, so none of its rows is new. The protocol makes this the only way an existing path comes
 *   back: "it is illegal for a path to occur in an add action that already occurs with a different dvId in the
 *   list of add actions from the snapshot of the version immediately preceeding the commit, unless the commit also
 *   contains a remove for the later combination".
 * Every other add is a data file added for the first time; its rows are read with its deletion vector applied.
 */
import { decodeLogPath, type Action, type AddAction } from './actions';

export function newlyAddedFiles(actions: readonly Action[]): AddAction[] {
  const removedPaths = new Set<string>();
  for (const action of actions) if ('remove' in action) removedPaths.add(decodeLogPath(action.remove.path));
  const added: AddAction[] = [];
  for (const action of actions) {
    if (!('add' in action) || !action.add.dataChange) continue;
    if (removedPaths.has(decodeLogPath(action.add.path))) continue;
    added.push(action.add);
  }
  return added;
}
