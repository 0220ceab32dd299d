/**
 * Log replay (Delta protocol "Action Reconciliation"): the table state after applying checkpoint and commit
 * actions in order. Pure; I/O lives in log-reader.ts.
 */
import { Action, AddAction, fileIdentity, MetadataAction, ProtocolAction, RemoveAction, TxnAction } from './actions';

export class SnapshotState {
  version = -1;
  protocol?: ProtocolAction;
  metadata?: MetadataAction;
  /** Live files by identity (decoded path + deletion-vector id). */
  readonly files = new Map<string, AddAction>();
  /** Removed files still referenced as tombstones (kept for checkpoints, so vacuum stays safe). */
  readonly tombstones = new Map<string, RemoveAction>();
  readonly txns = new Map<string, TxnAction>();
  /** Action names the replay met but does not understand (e.g. `cdc`, `domainMetadata`). */
  readonly unknownActions = new Set<string>();

  /** Applies one commit (or a checkpoint's actions) as version `version`. */
  apply(version: number, actions: Action[]): void {
    for (const action of actions) {
      if ('protocol' in action) this.protocol = action.protocol;
      else if ('metaData' in action) this.metadata = action.metaData;
      else if ('add' in action) {
        const id = fileIdentity(action.add.path, action.add.deletionVector);
        this.files.set(id, action.add);
        this.tombstones.delete(id);
      } else if ('remove' in action) {
        const id = fileIdentity(action.remove.path, action.remove.deletionVector);
        this.files.delete(id);
        this.tombstones.set(id, action.remove);
      } else if ('txn' in action) this.txns.set(action.txn.appId, action.txn);
      else if ('other' in action) this.unknownActions.add(action.other);
    }
    this.version = version;
  }

  clone(): SnapshotState {
    const copy = new SnapshotState();
    copy.version = this.version;
    copy.protocol = this.protocol;
    copy.metadata = this.metadata;
    for (const [k, v] of this.files) copy.files.set(k, v);
    for (const [k, v] of this.tombstones) copy.tombstones.set(k, v);
    for (const [k, v] of this.txns) copy.txns.set(k, v);
    for (const a of this.unknownActions) copy.unknownActions.add(a);
    return copy;
  }

  /** The actions a checkpoint of this state holds: protocol, metaData, txns, live adds, tombstones. */
  checkpointActions(tombstoneRetentionMs: number, now = Date.now()): Action[] {
    const actions: Action[] = [];
    if (this.protocol) actions.push({ protocol: this.protocol });
    if (this.metadata) actions.push({ metaData: this.metadata });
    for (const txn of this.txns.values()) actions.push({ txn });
    for (const add of this.files.values()) actions.push({ add: { ...add, dataChange: false } });
    for (const remove of this.tombstones.values()) {
      if ((remove.deletionTimestamp ?? now) >= now - tombstoneRetentionMs) actions.push({ remove: { ...remove, dataChange: false } });
    }
    return actions;
  }
}
