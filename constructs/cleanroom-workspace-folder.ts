import { Construct } from 'constructs';
import { Directory } from '@cdktf/provider-databricks/lib/directory';
import { Permissions } from '@cdktf/provider-databricks/lib/permissions';
import { principalField } from './databricks-principal';
import { Problems } from './validation';

export interface CleanroomWorkspaceFolderProps {
  /** The workspace folder the runtime imports notebooks into (its runner, release notebook and approved code). */
  readonly path: string;
  /** The principals participant code runs as: each reads the notebooks it runs, and nothing else there. */
  readonly jobPrincipals: readonly string[];
  /** The runtime's principal when it is not the deployer: it imports the notebooks (default: the deployer owns it). */
  readonly runtimePrincipal?: string;
}

/**
 * The clean room's workspace folder, declared so its ACL is: a run is checked against the ACLs of the notebooks it
 * runs as its Run-as identity (https://docs.databricks.com/en/jobs/privileges.html), so every job principal gets
 * CAN_READ (https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/permissions, "Folder
 * usage") and the runtime principal, which imports into it, CAN_MANAGE. Nobody else but workspace admins.
 */
export class CleanroomWorkspaceFolder extends Construct {
  readonly directory: Directory;
  readonly permissions: Permissions;

  constructor(scope: Construct, id: string, props: CleanroomWorkspaceFolderProps) {
    super(scope, id);
    const problems = new Problems();
    if (!/^\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(props.path)) problems.add('path', 'an absolute workspace folder such as /Cleanroom', props.path);
    problems.throwIfAny(`CleanroomWorkspaceFolder "${id}"`);
    this.directory = new Directory(this, 'folder', { path: props.path });
    this.permissions = new Permissions(this, 'folder-acl', {
      directoryPath: this.directory.path,
      accessControl: [
        ...props.jobPrincipals.map((principal) => ({ servicePrincipalName: principal, permissionLevel: 'CAN_READ' })),
        ...(props.runtimePrincipal === undefined ? [] : [{ ...principalField(props.runtimePrincipal), permissionLevel: 'CAN_MANAGE' }]),
      ],
    });
  }
}
