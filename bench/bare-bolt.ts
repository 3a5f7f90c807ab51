/**
 * The floor any Bolt app pays: a Bolt 5 app on an ExpressReceiver over an
 * Express app, configured as vmk configures Bolt (no conversation store, which
 * vmk turns off; warnings and errors logged only, as the benchmark runs vmk
 * with LOG_LEVEL=warn), whose only listener acks `/vmk-advise`. The benchmark
 * starts it as a child process, with the same Node flags as vmk, and sends it
 * the same signed slash commands.
 *
 * Environment: BENCH_PORT, SLACK_SIGNING_SECRET, SLACK_API_URL (the
 * benchmark's fake Web API, which answers the one auth.test Bolt makes at
 * start-up, exactly as for vmk).
 */
import bolt from '@slack/bolt';
import express from 'express';

const { App, ExpressReceiver, LogLevel } = bolt;

const port = Number(process.env.BENCH_PORT);
const signingSecret = process.env.SLACK_SIGNING_SECRET;
const slackApiUrl = process.env.SLACK_API_URL;
if (!Number.isInteger(port) || port <= 0 || !signingSecret || !slackApiUrl) {
  process.stderr.write('bare-bolt needs BENCH_PORT, SLACK_SIGNING_SECRET and SLACK_API_URL\n');
  process.exit(2);
}

const receiver = new ExpressReceiver({ signingSecret, app: express(), processBeforeResponse: false, logLevel: LogLevel.WARN });
const app = new App({
  receiver,
  token: 'xoxb-0000000000-bench-bare',
  clientOptions: { slackApiUrl },
  logLevel: LogLevel.WARN,
  // vmk passes convoStore: false; Bolt's default in-memory store costs a rejected promise per request.
  convoStore: false,
});
app.command('/vmk-advise', async ({ ack }) => {
  await ack();
});
receiver.app.get('/readyz', (_req, res) => {
  res.status(200).json({ ready: true });
});

await app.start(port);
process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
});
