/**
 * What the benchmark sends: questions people ask, workload descriptions for
 * reviews, and the dev set of the classifier.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';

export const DEV_SET = join(PROJECT_ROOT, 'test', 'data', 'dev.jsonl');

export const QUESTIONS = [
  'how do VMs and Kubernetes compare on isolation?',
  'which one uses resources more efficiently?',
  'is kubernetes more portable than virtual machines?',
  'what about security?',
  'how fast can I deploy with containers vs VMs?',
  'which is easier to maintain?',
  'how does scaling work on kubernetes?',
  'do virtual machines support snapshots?',
  'what is orchestration in kubernetes?',
  'can I run legacy windows apps in k8s?',
  'tell me about VMs',
  'give me an overview of vms vs kubernetes',
  'when should I pick a VM?',
  'help',
  'thanks!',
];

export const REVIEWS = [
  'We run a stateless Go API with spiky traffic, about 40 microservices, and deploy ten times a day. The team already knows containers.',
  'A legacy Windows ERP system that needs a specific kernel driver, runs on one big box, and is patched twice a year by the ops team.',
  'Nightly batch jobs processing files from S3, bursty, containerised already, we want autoscaling and cheap idle time.',
  'A multi-tenant SaaS where customers upload and run untrusted code; strong isolation between tenants is required by our auditors.',
];

/** The dev-set utterances (one JSON object a line with a `text` field). */
export function devSetTexts(): { texts: string[]; source: string } {
  if (!existsSync(DEV_SET)) throw new Error(`the classifier dev set is missing: ${DEV_SET}`);
  const texts: string[] = [];
  const lines = readFileSync(DEV_SET, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`${DEV_SET}:${i + 1} is not valid JSON`);
    }
    const text = (row as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new Error(`${DEV_SET}:${i + 1} has no "text" string`);
    texts.push(text);
  });
  if (texts.length === 0) throw new Error(`${DEV_SET} has no utterances`);
  return { texts, source: 'test/data/dev.jsonl' };
}
