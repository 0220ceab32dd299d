/**
 * Deployment rules that span files: the clean room's catalog must not be the catalog a participant's own stack
 * creates (catalog names are unique in a Unity Catalog metastore, which the keeper's workspace may share).
 */
import type { Checked } from './cross-file-rules';
import { defaultCleanroomCatalog, participantCatalogName } from './deployment-schema';
import type { ConfigProblem } from './problems';
import type { CleanroomFile, ParticipantFile } from './schema';

export function deploymentProblems(cleanroom: Checked<CleanroomFile> | undefined, participants: readonly Checked<ParticipantFile>[]): ConfigProblem[] {
  if (!cleanroom) return [];
  const named = cleanroom.value.databricks.catalog;
  const catalog = named ?? defaultCleanroomCatalog(cleanroom.value.name);
  const clash = participants.find((p) => participantCatalogName(p.value.name) === catalog);
  if (!clash) return [];
  const field = named === undefined ? 'name' : 'databricks.catalog';
  const path = named === undefined ? ['name'] : ['databricks', 'catalog'];
  return [
    {
      file: cleanroom.parsed.file.path,
      ...cleanroom.parsed.positionOf(path),
      field,
      message:
        `expected a clean room catalog other than "${catalog}", the catalog participant "${clash.value.name}" creates in its own workspace; ` +
        'set databricks.catalog to another name',
    },
  ];
}
