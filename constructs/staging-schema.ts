import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { Grants } from '@cdktf/provider-databricks/lib/grants';
import { Schema } from '@cdktf/provider-databricks/lib/schema';
import { CATALOG_NAME_PATTERN } from 'cleanroom-runtime/src/config';
import {
  JOB_PRINCIPAL_STAGING_SCHEMA_PRIVILEGES,
  RUNTIME_STAGING_SCHEMA_PRIVILEGES,
  STAGING_SCHEMA,
} from 'cleanroom-runtime/src/engines/databricks/run-access-names';
import { checkPrincipals, deployerUserName } from './databricks-principal';
import { CLEANROOM_NAME, Problems, checkPattern } from './validation';

export interface StagingSchemaProps {
  readonly cleanroomName: string;
  /** The clean room's catalog (CleanroomCatalog), e.g. its Terraform reference, so the schema follows the catalog. */
  readonly catalogName: string;
  /** The job principals participant code runs as (CleanroomJobPrincipals; Terraform references accepted). */
  readonly jobPrincipals: readonly string[];
  /** Default: the deployer. */
  readonly runtimePrincipal?: string;
  /** Default: the deployer. */
  readonly owner?: string;
}

/**
 * The schema `<catalog>._cleanroom_staging`, holding the external volume the runtime creates for each run over the
 * run's staging folder (the volume is the only way that run's code writes). The runtime principal may use the schema
 * and create volumes in it, which creating an external volume requires besides CREATE EXTERNAL VOLUME on the staging
 * location (https://docs.databricks.com/sql/language-manual/sql-ref-syntax-ddl-create-volume.html); it owns the
 * volumes it creates, so it can grant a run's principal READ/WRITE VOLUME on that run's volume alone. Job principals
 * may only enter the schema. The grants are authoritative: nobody else, besides the deliberate owner.
 *
 * No storage root: the volumes are external, and nobody may create a managed table or volume here (no CREATE TABLE,
 * and CREATE VOLUME only for the runtime, which creates external ones).
 */
export class StagingSchema extends Construct {
  readonly schema: Schema;
  readonly grants: Grants;

  constructor(scope: Construct, id: string, props: StagingSchemaProps) {
    super(scope, id);
    validateProps(props, `StagingSchema "${id}"`);
    const runtimePrincipal = props.runtimePrincipal ?? deployerUserName(this);
    // https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/schema: catalog_name and name
    // are required, storage_root optional.
    this.schema = new Schema(this, 'schema', {
      catalogName: props.catalogName,
      name: STAGING_SCHEMA,
      comment: `Clean room ${props.cleanroomName}: one external volume per run over its staging folder`,
      owner: props.owner ?? deployerUserName(this),
    });
    // https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/grants: `schema` is the
    // schema's full name, which is its id.
    this.grants = new Grants(this, 'grants', {
      schema: this.schema.id,
      grant: [
        { principal: runtimePrincipal, privileges: [...RUNTIME_STAGING_SCHEMA_PRIVILEGES] },
        ...props.jobPrincipals.map((principal) => ({ principal, privileges: [...JOB_PRINCIPAL_STAGING_SCHEMA_PRIVILEGES] })),
      ],
    });
  }
}

function validateProps(props: StagingSchemaProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
  if (!Token.isUnresolved(props.catalogName)) {
    checkPattern(problems, 'catalogName', props.catalogName, CATALOG_NAME_PATTERN, 'a Unity Catalog catalog name');
  }
  problems.check(Array.isArray(props.jobPrincipals) && props.jobPrincipals.length > 0, 'jobPrincipals', 'at least one job principal', props.jobPrincipals);
  checkPrincipals(problems, props);
  problems.throwIfAny(construct);
}
