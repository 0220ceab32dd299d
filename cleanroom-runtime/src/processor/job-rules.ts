/**
 * JOB events: run approved code. The code exists, is visible to the submitter (own or the keeper's; the keeper
 * may run any) and is approved at its current hash, which the job pins; parameters are a JSON object merged over
 * the code's defaults; `output` is required and confined to the submitter's own `output/` folder; the compute
 * size is one the clean room offers. Only ad-hoc jobs are supported (one run per JOB event).
 */
import type { JobEvent } from '../events/event-model';
import type { ParticipantInfo, ProcessorContext } from './context';
import { accept, refuse, type Decision } from './decision';
import { checkObjectName, checkOutputLocation, quote } from './names';
import { parseParameters } from './parameters';
import { recordOf, type CleanroomState } from './state';

const AD_HOC = ['', 'ad-hoc', 'adhoc', 'once'];

export function applyJob(state: CleanroomState, event: JobEvent, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  const name = checkObjectName('job', event.jobName);
  if (!name.ok) return refuse(name.message);
  const code = recordOf(state.code, event.codeName);
  if (!code) return refuse(`code ${quote(event.codeName)} does not exist: register it first, or check the name in control.code`);
  const keeper = ctx.participants.find((p) => p.role === 'keeper');
  const visible = submitter.role === 'keeper' || code.owner === submitter.name || code.owner === keeper?.name;
  if (!visible) return refuse(`code "${code.name}" is not available to you: you can run your own code and the keeper's`);
  if (code.approval.status !== 'CODE_REQUEST_APPROVED' || code.approval.hash !== code.hash) {
    const why =
      code.approval.status === 'CODE_REQUEST_REJECTED'
        ? `it was rejected${code.approval.reason ? `: ${code.approval.reason}` : ''}; update it and ask for a new review`
        : `its current version (sha256 ${code.hash}) awaits the keeper's approval`;
    return refuse(`code "${code.name}" is not approved: ${why}`);
  }
  if (!ctx.computeSizes.includes(event.compute)) {
    return refuse(`compute ${quote(event.compute)} is not offered: use one of ${ctx.computeSizes.join(', ')}`);
  }
  const schedule = event.schedule.trim().toLowerCase();
  if (!AD_HOC.includes(schedule)) {
    return refuse(`schedule ${quote(event.schedule)} is not supported yet: submit the job with schedule "ad-hoc" (one run per JOB event)`);
  }
  const params = parseParameters(event.parameters, 'parameters');
  if (!params.ok) return refuse(params.message);
  const defaults = JSON.parse(code.defaultParameters) as Record<string, string>;
  const merged: Record<string, string> = { ...defaults, ...params.value };
  const example = `gs://${submitter.bucket}/output/${name.value}`;
  if (merged.output === undefined || merged.output.trim() === '') {
    return refuse(`parameter "output" is required: set it to where the result goes, below your output folder, e.g. {"output": "${example}"}`);
  }
  const output = checkOutputLocation(merged.output, submitter.bucket);
  if (!output.ok) return refuse(output.message);
  merged.output = output.value.uri;

  state.jobs[event.uuid] = {
    jobId: event.uuid,
    jobName: name.value,
    participant: submitter.name,
    codeId: code.codeId,
    codeName: code.name,
    codeOwner: code.owner,
    hash: code.hash,
    language: code.language,
    parameters: merged,
    compute: event.compute,
    schedule: 'ad-hoc',
    outputLocation: output.value.uri,
    createdAt: ctx.now,
    eventUuid: event.uuid,
    eventsVersion: event.eventsVersion,
  };
  return accept(
    `job "${name.value}" accepted (id ${event.uuid}): runs code "${code.name}" sha256 ${code.hash} on ${event.compute}, output ${output.value.uri}; follow it in control.runs`,
    [{ kind: 'submit_job', jobId: event.uuid, attempts: 0 }],
  );
}
