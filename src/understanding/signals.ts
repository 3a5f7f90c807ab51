/**
 * Signals: named, explainable facts about a message's words (who speaks,
 * whether a workload is described, whether a choice or a verdict is asked,
 * whether a tool is operated...). They are features of the learned model, not
 * decisions: the model weighs them against everything else the message says.
 * A few feed the short policy table in policy.ts.
 */
import type { Side, Topic } from '../types.js';
import { SLOT_PLATFORM, type GazetteerResult } from './gazetteer.js';
/** Words that carry no content of their own (kept as classifier features, ignored by the rules). */
export const STOP = new Set(
  `a an the is are am was were be been being do does did done to of in on at for with by from as and or but if so
  it its this that these those there here i me my mine we us our ours you your yours he she they them their his her
  what which who whom whose when where why how can could would should will shall may might must
  not no yes just really very too also then than about into over under up down out more most less some any all
  each both either neither one ones other such own same again further once ?
  please okay ok um uh oh ah hmm well hey hi hello yo like get got go going want wanna know tell say said make
  thing things stuff lot lots much many way ways now right`
    .split(/\s+/)
    .filter(Boolean),
);

/** Grammar words that never count as content for the "nothing recognisable" rule. */
export const FUNCTION_WORDS = new Set(
  `a an the is are am was were be been being to of in on at for with by from as and or but if it its this that these
  those i me my we us our he she they them their his her ? not no yes just so very too also then
  than some any all um uh oh ah hmm exactly actually really basically even literally honestly anyway maybe perhaps
  please kinda sorta kindly dear huh hm nah nope yeah yep`
    .split(/\s+/)
    .filter(Boolean),
);

/** Words that open or close a message without changing its meaning ("hi, ...", "..., thanks"). */
const COURTESY = new Set(
  `hi hello hey heya hiya yo morning good afternoon evening there team all folks guys everyone bot vmk
  thanks thank you cheers ok okay cool great nice awesome perfect so um uh well also oh ah please quick question
  kindly dear greetings regards`
    .split(/\s+/)
    .filter(Boolean),
);

/** Words a short follow-up may contain besides the entity ("and what about the VMs then?"). */
export const FOLLOW_UP = new Set(
  `and what about how for on in with the a then same question regarding re side case ? or now ok okay so also
  using use run running tell me compare compared vs versus is are it its does do that this those these
  of things thing aspect aspects part angle front wise side sides when comes`
    .split(/\s+/)
    .filter(Boolean),
);

/** Kubernetes' own objects and tools: operating Kubernetes (OPS_WORDS and K8S_OBJECTS both hold them). */
export const K8S_TOOLING = `kubectl kubeadm helm statefulset statefulsets daemonset daemonsets configmap configmaps replicaset replicasets ingress
  namespace namespaces crd crds pvc pvcs persistentvolume nodeport rbac kubeconfig kubelet etcd cni kustomize`
  .split(/\s+/)
  .filter(Boolean);

/** Objects and tools of Kubernetes itself, networking add-ons included: questions about them are about operating it. */
export const K8S_OBJECTS = new Set([...K8S_TOOLING, 'calico', 'cilium', 'flannel', 'egress', 'coredns']);

/** Operating a specific tool (Kubernetes' own objects included), fixing errors, prices: not covered by the article. */
export const OPS_WORDS = new Set([
  ...`chart charts install installing installed installation
  error errors exception crashloopbackoff imagepullbackoff oomkilled stacktrace traceback
  price prices pricing priced invoice license licence licenses licences licensing licenced licensed quota overcommit overcommitment
  dockerfile dockerfiles compose yaml yml manifest manifests terraform datastore datastores nfs smb iscsi ssh syntax
  readiness liveness probe probes
  certification certified exam salary salaries tutorial course
  sizing pcpu helpdesk ansible playbook playbooks vpn wifi camera disconnecting disconnects troubleshoot troubleshooting debug debugging reboot rebooting operator operators drain cordon uncordon
  career careers resume interview interviews courses bootcamp udemy youtube
  monitoring observability logging alerting prometheus grafana datadog splunk`
    .split(/\s+/)
    .filter(Boolean),
  ...K8S_TOOLING,
]);

/** A vendor product's price, tiers, editions and limits. */
export const PRODUCT_TERMS = new Set(
  `cost costs price bill billing charge charges charged fee fees cheaper cheapest expensive free paid subscription monthly
  max maximum limit limits included edition editions sku tier tiers reserved buy sla fedramp authorized`
    .split(/\s+/)
    .filter(Boolean),
);

/** "who created kubernetes", "when was vmware founded". */
export function asksHistory(tokens: string[]): boolean {
  return tokens.some((t) => /^(?:created|invented|founded|originated|history)$/.test(t)) && tokens.some((t) => /^(?:who|when|year|originally|history)$/.test(t));
}

/** "can you create a new vm for me", "please restart the cluster": asking vmk to operate something. */
export function asksErrand(tokens: string[]): boolean {
  const at = tokens.findIndex((t, i) => (t === 'can' || t === 'could' || t === 'would') && tokens[i + 1] === 'you');
  const verb = at >= 0 ? tokens[at + 2] : tokens[0] === 'please' ? tokens[1] : undefined;
  return verb !== undefined && /^(?:create|provision|spin|deploy|delete|restart|reboot|install|open|raise|file|log|write|run|resize|upgrade|patch|set)$/.test(verb);
}

/** "how much RAM should I give ...", "how many vCPUs to allocate": sizing a machine. */
export function asksSizing(tokens: string[]): boolean {
  // "how big should the jvm heap be": sizing too.
  if (tokens.some((t, i) => t === 'how' && /^(?:big|large)$/.test(tokens[i + 1] ?? '') && tokens.slice(i + 2, i + 4).includes('should'))) return true;
  const at = tokens.findIndex((t, i) => t === 'how' && (tokens[i + 1] === 'much' || tokens[i + 1] === 'many'));
  if (at < 0) return false;
  const rest = tokens.slice(at + 2, at + 9);
  if (rest.some((t) => /^(?:ram|memory|cpu|cpus|vcpu|vcpus|cores?|disk|storage|gb|heap)$/.test(t)) && rest.some((t) => /^(?:give|allocate|assign|reserve|provision|set|request|size|buy)$/.test(t))) return true;
  // "how many worker nodes for 2k rps": machines counted against a load.
  const counted = rest.findIndex((t) => /^(?:nodes?|servers?|vms?|instances?|replicas?|machines?|hosts?|pods?|containers?)$/.test(t));
  if (counted < 0) return false;
  const forAt = rest.indexOf('for', counted + 1);
  if (forAt > counted && forAt <= counted + 4 && /^\d/.test(rest[forAt + 1] ?? '')) return true;
  // "how many replicas should coredns have", "how many worker nodes do i need to serve 5000 rps".
  return tokens[at + 1] === 'many' && counted <= 1 && rest.slice(counted + 1, counted + 5).some((t) => t === 'should' || t === 'need');
}

/** Fault words that make a tool question only when a platform or topic is named ("vm stuck at boot", not "I'm stuck"). */
export const FAULT_WORDS = new Set('stuck hangs hung frozen unresponsive responding unreachable timeout timeouts refused connectivity dns command cli flag flags psod screen'.split(' '));

/** Every word a rule looks for (added to the typo fixer's vocabulary). */
export const RULE_WORDS = [...OPS_WORDS, ...FAULT_WORDS, ...K8S_OBJECTS, ...PRODUCT_TERMS];

/** Words that make a sentence a comparison (which keeps OPS_WORDS from rejecting it). */
export const COMPARE_WORDS = new Set(
  'compare compared comparison comparing versus vs difference differences differ than better worse cheaper instead rather'
    .split(/\s+/),
);

/** Words of choosing: without one, a question that names a topic is a topic question. */
const GUIDANCE_CUES = new Set(
  `when whenever choose choosing choice chose pick picking decide deciding decision rule rules thumb general generally
  typically usually normally belong belongs suit suited suits fit fits favour favor case cases scenario scenarios situation
  situations criteria factors guideline guidelines go adopt stay move migrate prefer preferred recommend recommended
  worth overkill guidance heuristic heuristics principles advice signs recommendation recommendations`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * A cue of choosing. "when" counts only when it asks when ("when to use", "when does it make sense"),
 * not in a clause of time ("when a node dies", "when load goes 10x").
 */
export function choosingCue(tokens: string[]): boolean {
  return tokens.some(
    (t, i) =>
      GUIDANCE_CUES.has(t) &&
      !GENERALITY.has(t) &&
      // "how does k8s decide to add pods": the platform decides; nobody is choosing.
      !(tokens[i - 1] === SLOT_PLATFORM && /^(?:decide|decides|choose|chooses|pick|picks)$/.test(t)) &&
      (t !== 'when' || WHEN_ASKING.has(tokens[i + 1] ?? '')) &&
      // "in case of an outage" is a condition.
      !(t === 'case' && tokens[i - 1] === 'in') &&
      // "should we move", not "is it hard to move VMs".
      (!MOVES.has(t) || CHOOSER.has(tokens[i - 1] ?? '') || tokens.slice(0, i).some((w) => w === 'should' || w === 'would')),
  );
}

const MOVES = new Set(['move', 'migrate', 'go', 'stay', 'adopt']);
const CHOOSER = new Set(['should', 'we', 'i', 'would', 'could', 'shall', 'you']);
const WHEN_ASKING = new Set('to should would do does is are makes make'.split(' '));

/** Guidance cues that only speak of generality: with a topic named, they make no rule of thumb on their own. */
export const GENERALITY = new Set('general generally typically usually normally'.split(' '));

/** Words of someone weighing their own choice ("help us decide", "which should we pick", "torn between"). */
export const DECIDING = new Set(
  `decide deciding decision decisions choose choosing choice pick picking help advice recommend recommendation
  should where option options go move moving migrate migrating stay debating torn unsure considering thinking
  evaluate evaluating weigh weighing better best right`
    .split(/\s+/)
    .filter(Boolean),
);

/** Platform surface forms that are also everyday words. */
export const AMBIGUOUS_PLATFORM_WORDS = new Set(['pod', 'pods', 'container', 'containers', 'cluster', 'clusters']);

/** Words by which a sender speaks of their own situation. */
export const FIRST_PERSON = new Set('i me my mine we us our ours were weve wed im ive'.split(' '));

/** Words that join two compared names ("GKE vs EKS", "VMware or Hyper-V"). */
const VENDOR_JOINERS = new Set('versus vs than or and'.split(' '));

/** Two names of the same side joined by a comparing word. */
export function comparesSameSide(tokens: string[], g: GazetteerResult): boolean {
  const platforms = g.matches.filter((m) => m.entity.kind === 'platform');
  for (let k = 0; k + 1 < platforms.length; k++) {
    const a = platforms[k] as GazetteerResult['matches'][number];
    const b = platforms[k + 1] as GazetteerResult['matches'][number];
    const between = tokens.slice(a.end, b.start);
    const last = between[between.length - 1];
    // "compared to", or moving from one vendor to another ("migrate vmware vms over to proxmox").
    const moving = tokens.slice(Math.max(0, a.start - 3), a.start).some((t) => /^(?:migrate|migrating|move|moving|switch|switching|convert)$/.test(t));
    // "move between our on-prem cluster and gke": one workload moving, not two vendors compared.
    if (tokens.slice(Math.max(0, a.start - 4), a.start).includes('between')) continue;
    const joined = last === 'to' ? between[between.length - 2] === 'compared' || moving : last !== undefined && VENDOR_JOINERS.has(last);
    if (between.length >= 1 && between.length <= 3 && joined) {
      const left = tokens.slice(a.start, a.end).join(' ');
      const right = tokens.slice(b.start, b.end).join(' ');
      // "hypervisor and virtual machine" are two words for one side, not two vendors.
      return left !== right && (PRODUCTS.has(left) || PRODUCTS.has(right));
    }
  }
  return false;
}


/** Words a greeting, a thank-you or a request for help opens with. */
export const SOCIAL_OPENERS = new Set('hi hello hey hiya heya thanks thank cheers help'.split(' '));

const JOINERS = new Set(['and', 'or', 'vs', 'versus', 'than', 'between', 'to', 'with']);

/**
 * "hypervisors versus container orchestration": set against VMs, "container orchestration" names the
 * Kubernetes side, not the orchestration topic ("what does container orchestration mean" keeps the topic).
 */
export function containerOrchestration(tokens: string[], g: GazetteerResult): GazetteerResult {
  if (!g.platforms.includes('vm') || !g.topics.includes('orchestration')) return g;
  const own = g.matches.filter((m) => m.entity.kind === 'topic' && m.entity.value === 'orchestration');
  const named = own.filter((m) => /^containers?$/.test(tokens[m.start - 1] ?? '') && /^orchestrat/.test(tokens[m.start] ?? ''));
  if (named.length === 0 || named.length !== own.length) return g;
  return { ...g, topics: g.topics.filter((t) => t !== 'orchestration') };
}

/** A topic's own name: "is a shared kernel a security hole" asks about security, whatever else it mentions first. */
const TOPIC_NAMES: Partial<Record<Topic, RegExp>> = {
  security: /^(?:security|secure|securely|insecure)$/,
  resource_efficiency: /^(?:overhead|efficiency|efficient|efficiently|footprint|density|utili[sz]ation|memory|ram)$/,
  isolation: /^(?:isolation|isolated|isolate|segregation|separation|separates)$/,
  scaling: /^(?:scaling|scalability|scalable|autoscaling)$/,
  portability: /^(?:portability|portable)$/,
  orchestration: /^(?:orchestration|orchestrate|orchestrator)$/,
  compatibility: /^(?:compatibility|compatible)$/,
  snapshots: /^(?:snapshots?|backups?|migrate|migration|migrating)$/,
  maintenance: /^(?:maintenance|maintaining|patching|upkeep)$/,
};

export function preferNamedTopic(tokens: string[], g: GazetteerResult): GazetteerResult {
  if (g.topics.length < 2) return g;
  // Named inside one of its own matches: "maintenance overhead" names maintenance, not resource efficiency.
  const named = g.topics.filter((t) => {
    const re = TOPIC_NAMES[t];
    return re !== undefined && g.matches.some((m) => m.entity.kind === 'topic' && m.entity.value === t && tokens.slice(m.start, m.end).some((w) => re.test(w)));
  });
  if (named.length !== 1 || named[0] === g.topics[0]) return g;
  const first = named[0] as Topic;
  return { ...g, topics: [first, ...g.topics.filter((t) => t !== first)] };
}

/** "docker and podman", "nomad vs k8s": a platform slot joined to a word vmk does not know. */
export function comparesWithUnknown(slotted: string[], isUnknown: (w: string) => boolean): boolean {
  for (let i = 0; i < slotted.length; i++) {
    if (slotted[i] !== SLOT_PLATFORM) continue;
    const after = slotted[i + 1];
    const next = slotted[i + 2];
    if (after && JOINERS.has(after) && after !== 'to' && after !== 'with' && next && isUnknown(next)) return true;
    const before = slotted[i - 1];
    const prev = slotted[i - 2];
    if (before && (before === 'and' || before === 'or' || before === 'vs' || before === 'versus') && prev && isUnknown(prev)) return true;
    // "is serverless better than containers": something unknown weighed against a platform, with nothing of vmk's in between.
    if (before === 'than' || (before === 'of' && slotted[i - 2] === 'instead') || before === 'over') {
      const lead = slotted.slice(Math.max(0, i - 6), i - 1);
      if (!lead.some((w) => w.startsWith('zz')) && lead.some(isUnknown)) return true;
    }
  }
  return false;
}

const MEASURES = /^(?:zznumber|ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)$/;

/** Cloud providers: choosing between them is not a VM-or-Kubernetes question. */
const CLOUDS = new Set('aws azure gcp google oracle ibm alibaba digitalocean linode hetzner ovh'.split(' '));

/** "x vs y" where neither side is a platform or topic. */
export function comparesOtherThings(slotted: string[], isUnknown: (w: string) => boolean): boolean {
  // "the difference between RAM and storage": two things, neither a platform, one of them unknown to vmk.
  const between = slotted.indexOf('between');
  if (between > 0 && /^(?:difference|differences|diff)$/.test(slotted[between - 1] ?? '')) {
    const and = slotted.indexOf('and', between);
    const sides = and > between ? [slotted.slice(between + 1, and), slotted.slice(and + 1, and + 3)] : [];
    if (sides.length === 2 && sides.every((w) => !w.includes(SLOT_PLATFORM)) && sides.some((w) => w.some(isUnknown))) return true;
  }
  for (let i = 1; i + 1 < slotted.length; i++) {
    const t = slotted[i];
    // "calico or cilium", "aws or azure": two names vmk does not know, or two clouds, offered as a choice.
    if (t === 'or') {
      const a = slotted[i - 1] as string;
      const b = slotted[i + 1] as string;
      if ((isUnknown(a) && isUnknown(b)) || (CLOUDS.has(a) && CLOUDS.has(b))) return true;
      continue;
    }
    if (t !== 'versus' && t !== 'vs' && t !== 'than') continue;
    const a = slotted[i - 1] as string;
    const b = slotted[i + 1] as string;
    // "seconds vs minutes", "10 vs 100": amounts, not two products.
    if (MEASURES.test(a) && MEASURES.test(b)) continue;
    if (!a.startsWith('zz') && !b.startsWith('zz') && !STOP.has(a) && !STOP.has(b)) return true;
  }
  return false;
}

/** "is gvisor a kind of vm", "what is kata containers": an unknown name set beside a platform. */
export function asksAboutUnknownProduct(slotted: string[], isUnknown: (w: string) => boolean): boolean {
  // "can harvester replace vsphere", "will nomad replace k8s": an unknown product set against a platform.
  if (/^(?:can|could|does|will|would|should)$/.test(slotted[0] ?? '') && isUnknown(slotted[1] ?? '') && /^(?:replace|replaces|substitute|supersede)$/.test(slotted[2] ?? '')) {
    return slotted.slice(3, 6).includes(SLOT_PLATFORM);
  }
  let i = 0;
  if (slotted[i] === 'what' || slotted[i] === 'so') i += 1;
  if (slotted[i] !== 'is' && slotted[i] !== 'are') return false;
  // "what is docker hub", "what is eks anywhere": a platform name and an unknown word ending the question.
  const at = slotted[i + 1] === 'a' || slotted[i + 1] === 'an' ? i + 2 : i + 1;
  if (slotted[0] === 'what' && slotted[at] === SLOT_PLATFORM && slotted.length - at <= 3) {
    const tail = slotted.slice(at + 1).filter((w) => w !== '?');
    if (tail.length === 1 && isUnknown(tail[0] as string)) return true;
  }
  const name = slotted[i + 1];
  if (name === undefined || !isUnknown(name)) return false;
  const rest = slotted.slice(i + 2, i + 6);
  const p = rest.indexOf(SLOT_PLATFORM);
  return p >= 0 && rest.slice(0, p).every((w) => /^(?:a|an|the|like|kind|sort|type|form|of|just|really|basically|another|similar|to)$/.test(w));
}

/** Verbs of operating a tool: "how do I install ...", "how to configure ...". */
const HOW_TO_VERBS = new Set(
  `install uninstall reinstall configure config set setup create join mount unmount resize enlarge extend upgrade downgrade
  reset ssh connect expose enable disable rotate copy write fix restart delete remove attach detach provision register
  login log import export convert clone`
    .split(/\s+/)
    .filter(Boolean),
);

/** Where the verb of "how do I <verb>" / "how to <verb>" sits, or -1. */
function howToVerbAt(tokens: string[]): number {
  const start = tokens.findIndex((t) => t === 'how');
  if (start < 0) return -1;
  const i = start + 1;
  if (tokens[i] === 'to') return i + 1;
  if (/^(?:do|can|could|would|should|shall)$/.test(tokens[i] ?? '') && /^(?:i|we|you|one)$/.test(tokens[i + 1] ?? '')) return i + 2;
  return -1;
}

/** "how do I join a windows vm to active directory", "how to mount a volume": a how-to, not a comparison. */
export function asksHowToOperate(tokens: string[]): boolean {
  const at = howToVerbAt(tokens);
  return at >= 0 && HOW_TO_VERBS.has(tokens[at] ?? '');
}

/** "how do I ... in vsphere": step by step in one product (choosing is not a how-to). */
export function asksHowTo(tokens: string[]): boolean {
  const at = howToVerbAt(tokens);
  return at >= 0 && !/^(?:choose|chose|pick|decide|know|tell|compare|figure|use|get|start|think|weigh|judge|evaluate)$/.test(tokens[at] ?? '');
}

/** Platform names that are one vendor's product rather than the platform in general. */
export const PRODUCTS = new Set(
  ['vmware', 'vsphere', 'esxi', 'hyper v', 'hyperv', 'kvm', 'xen', 'proxmox', 'virtualbox', 'virtual box', 'ec2', 'ec2 instance', 'azure vm', 'compute engine', 'eks', 'aks', 'gke', 'openshift', 'rancher', 'k3s', 'microk8s', 'docker'],
);

const INSTANCE_SIZES = /^(?:nano|micro|small|medium|large|xlarge|\d+xlarge|metal|highmem|highcpu|standard)$/;

/** "t3.medium", "m5.xlarge", "e2 standard": a cloud provider's instance type. */
export function namesInstanceType(tokens: string[]): boolean {
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (/^[a-z]{1,3}\d[a-z0-9]{0,3}$/.test(tokens[i] as string) && INSTANCE_SIZES.test(tokens[i + 1] as string)) return true;
    if (/^standard$/.test(tokens[i] as string) && /^[a-z]\d+[a-z]*$/.test(tokens[i + 1] as string)) return true;
  }
  return false;
}

/** "What's the difference?" compares the platforms even with an unfamiliar word in it. */
const OVERALL = new Set('overall summary summarize summarise overview general generally nutshell gist broadly strengths weaknesses pros cons tradeoffs'.split(' '));

export function hasTopicFreeCompareWord(tokens: string[]): boolean {
  // "overall", "in general", "high level", "in a nutshell": the comparison as a whole.
  if (tokens.some((t, i) => OVERALL.has(t) || (t === 'level' && (tokens[i - 1] === 'high' || tokens[i - 1] === 'top')))) return true;
  // "how do the two compare", "how do both differ".
  return tokens.some((t) => t === 'two' || t === 'both') && tokens.some((t) => /^(?:compare[ds]?|comparing|differ|differs|difference|differences)$/.test(t));
}

export function round(x: number): number {
  return Math.max(0, Math.min(1, Math.round(x * 1000) / 1000));
}

/** "vmk, what is k8s?" / "hey vmk": the bot's own name is an address, not content. */
export function dropAddress(tokens: string[]): string[] {
  if (tokens.length < 2) return tokens;
  return tokens.filter((t, i) => t !== 'vmk' || (i > 0 && !COURTESY.has(tokens[i - 1] as string)));
}

/** Words that make a message ask something, whatever courtesy surrounds it. */
export const ASKING = new Set('what how which why where when who can could should would is are do does help explain tell show'.split(' '));

/** Openings that thank or greet whatever follows ("thank you for ...", "good day to you", "dear vmk, hello"). */
const THANKS_OPENERS = [['thank'], ['thanks'], ['thx'], ['ty'], ['many', 'thanks'], ['much', 'appreciated'], ['appreciated'], ['appreciate', 'it'], ['cheers', 'for'], ['much', 'obliged'], ['obliged'], ['merci'], ['gracias'], ['danke']];
const GREETING_OPENERS = [['hi'], ['hello'], ['hey'], ['greetings'], ['good', 'morning'], ['good', 'afternoon'], ['good', 'evening'], ['good', 'day'], ['howdy']];

const PRAISE = new Set('great nice awesome perfect cool super brilliant excellent helpful answer reply stuff ok okay wow'.split(' '));

export function socialOpening(tokens: string[]): 'thanks' | 'greeting' | null {
  const all = tokens.filter((t) => t !== 'dear' && t !== 'vmk' && t !== 'kindly');
  // "great answer, thanks a bunch": praise before the thanks.
  let from = 0;
  while (from < all.length - 1 && PRAISE.has(all[from] as string)) from++;
  const words = all.slice(from);
  const opens = (list: string[][]): boolean => list.some((o) => o.every((w, k) => words[k] === w));
  if (opens(THANKS_OPENERS)) return 'thanks';
  if (opens(GREETING_OPENERS)) return 'greeting';
  return null;
}

/** Drops greetings and thanks around a real question ("hi! what is k8s? thanks"). */
export function trimCourtesy(slotted: string[]): string[] {
  const meaningful = (ts: string[]): number => ts.filter((t) => !STOP.has(t) && !COURTESY.has(t)).length;
  let start = 0;
  let end = slotted.length;
  while (start < end && COURTESY.has(slotted[start] as string) && meaningful(slotted.slice(start + 1, end)) >= 2) start++;
  while (end > start && (COURTESY.has(slotted[end - 1] as string) || slotted[end - 1] === '?') && meaningful(slotted.slice(start, end - 1)) >= 2) end--;
  return slotted.slice(start, end);
}

/**
 * The platform a message is about: the only one named, or, when both are
 * named, the first one not negated ("kubernetes rather than VMs" -> kubernetes).
 * Null when both are named on an equal footing.
 */
/** Words that mark a platform just after them as the one not wanted ("rather than VMs", "k8s over VMs"); "vs" is symmetric. */
const NOT_WANTED = new Set('not no than instead over without avoid off like'.split(' '));

export function pickPlatform(tokens: string[], g: GazetteerResult): Side | null {
  const distinct = [...new Set(g.platforms)];
  if (distinct.length === 0) return null;
  if (distinct.length === 1) return distinct[0] ?? null;
  const negated = new Set<Side>();
  for (const m of g.matches) {
    if (m.entity.kind !== 'platform') continue;
    // "rather than VMs", "not interested in VMs": a negator up to three words before.
    const before = tokens.slice(Math.max(0, m.start - 3), m.start);
    if (before.some((t) => NOT_WANTED.has(t))) negated.add(m.entity.value);
  }
  const wanted = distinct.filter((p) => !negated.has(p));
  return wanted.length === 1 ? (wanted[0] ?? null) : null;
}
