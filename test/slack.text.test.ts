import { describe, expect, it } from 'vitest';
import { slackPlainText } from '../adapters/slack/text.js';

describe('Slack markup becomes plain text before the core sees it', () => {
  it.each([
    ['<@U0VMK> how do VMs and k8s compare on isolation?', 'how do VMs and k8s compare on isolation?'],
    ['<@U0VMK|vmk> hi', 'hi'],
    ['<!here> <!channel> is k8s safer?', 'is k8s safer?'],
    ['see <https://wiki.example.com/x|our runbook> for the VM patching', 'see our runbook for the VM patching'],
    ['docs at <https://example.com/a>', 'docs at https://example.com/a'],
    ['in <#C0123|infra> we run 40 VMs', 'in #infra we run 40 VMs'],
    ['is 3 &lt; 5 &amp;&amp; 7 &gt; 2', 'is 3 < 5 && 7 > 2'],
    ['<!subteam^S1|@platform> any advice?', 'any advice?'],
  ])('%s', (input, plain) => {
    expect(slackPlainText(input)).toBe(plain);
  });

  it('takes linear time on adversarial markup', () => {
    const t0 = performance.now();
    slackPlainText('<https:'.repeat(150_000) + '<@U'.repeat(100_000) + '<!'.repeat(100_000));
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
