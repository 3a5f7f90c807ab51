// vmk playground: renders vmk's neutral Reply objects as cards, the way the
// Slack and Teams renderers do, and sends typed text or button clicks to
// POST /api/playground/turn. Plain browser JavaScript, no build step.
// Every piece of text goes into the page through textContent, never innerHTML.
//
// Who is talking is the server's business: it issues this browser an identity
// in an HttpOnly cookie, and fetch sends it along. The page keeps only the
// conversation id and a transcript of the conversation (localStorage), so a
// reload shows the conversation as it was, a waiting question included.
'use strict';

(() => {
  const ENDPOINT = '/api/playground/turn';
  const KEYS = { conversation: 'vmk.playground.conversation', transcript: 'vmk.playground.transcript.' };
  /** Transcript entries kept per conversation (older ones are dropped). */
  const MAX_ENTRIES = 80;
  const SAMPLE_WORKLOAD =
    'We run a customer-facing checkout API as 12 microservices in Go, deployed several times a day. ' +
    'Traffic spikes 10x during sales events. The team already runs containers in CI and wants to avoid lock-in to one cloud.';
  const KIND_LABEL = {
    topic: 'Comparison',
    platform: 'Platform',
    overview: 'Overview',
    guidance: 'Guidance',
    help: 'Help',
    greeting: 'Hello',
    thanks: 'You are welcome',
    fallback: 'Not sure',
    clarify: 'Did you mean',
    question: 'Question',
    recommendation: 'Recommendation',
    review: 'Workload review',
    notice: 'Notice',
    error: 'Error',
  };

  const log = document.getElementById('log');
  const form = document.getElementById('composer');
  const input = document.getElementById('message');
  const sendButton = document.getElementById('send');
  const intro = document.getElementById('intro');
  const status = document.getElementById('composer-status');
  /** The longest message the server takes (the same number as its request schema). */
  const MAX_CHARS = Number(input.dataset.maxChars) || 12000;

  /** A random id that works outside secure contexts too (crypto.randomUUID needs https or localhost). */
  function newId(prefix) {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return prefix + '-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function storedConversation() {
    try {
      // Older pages also kept a user id here; the server's cookie says who is talking now.
      localStorage.removeItem('vmk.playground.user');
      let value = localStorage.getItem(KEYS.conversation);
      if (!value || !/^[\w.:@-]{1,200}$/.test(value)) {
        value = newId('web');
        localStorage.setItem(KEYS.conversation, value);
      }
      return value;
    } catch {
      return newId('web');
    }
  }

  let conversation = storedConversation();
  let pending = 0;

  // ---- transcript: what the conversation showed, so a reload shows it again ----

  /** Entries in page order: { id, kind: 'user', text } or { id, kind: 'bot', reply }. */
  let entries = [];
  let nextEntry = 1;

  function loadTranscript() {
    try {
      const raw = JSON.parse(localStorage.getItem(KEYS.transcript + conversation) || '[]');
      if (!Array.isArray(raw)) return [];
      return raw.filter(
        (e) =>
          e &&
          typeof e === 'object' &&
          ((e.kind === 'user' && typeof e.text === 'string') || (e.kind === 'bot' && e.reply && typeof e.reply === 'object')),
      );
    } catch {
      return [];
    }
  }

  function saveTranscript() {
    const kept = entries.filter((e) => !e.failed).slice(-MAX_ENTRIES);
    try {
      localStorage.setItem(KEYS.transcript + conversation, JSON.stringify(kept.map((e) => (e.kind === 'user' ? { kind: 'user', text: e.text } : { kind: 'bot', reply: e.reply }))));
    } catch {
      /* storage full or private mode: the transcript lives for this page only */
    }
  }

  function addEntry(entry, row) {
    entry.id = nextEntry++;
    row.dataset.entry = String(entry.id);
    entries.push(entry);
    return entry;
  }

  function entryOf(row) {
    const id = Number(row && row.dataset.entry);
    return entries.find((e) => e.id === id);
  }

  // ---- rendering ----

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** Colours a fact value by the side it names. */
  function sideOf(value) {
    const v = String(value).toLowerCase();
    const vm = /\bvms?\b|virtual machine/.test(v);
    const k8s = /kubernetes|\bk8s\b/.test(v);
    if (/hybrid|both|mix/.test(v) || (vm && k8s)) return 'both';
    if (vm) return 'vm';
    if (k8s) return 'kubernetes';
    return '';
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function hideIntro() {
    if (!intro || intro.hidden) return;
    // A focused intro button is about to disappear: keep keyboard focus in the conversation.
    if (intro.contains(document.activeElement)) log.focus({ preventScroll: true });
    intro.hidden = true;
  }

  function userRow(text) {
    const row = el('div', 'row user');
    const bubble = el('p', 'bubble', text);
    row.append(el('span', 'visually-hidden', 'You said: '), bubble);
    return row;
  }

  function appendUser(text) {
    hideIntro();
    const row = userRow(text);
    log.append(row);
    addEntry({ kind: 'user', text }, row);
    scrollToEnd();
    return row;
  }

  function button(choice, className, card) {
    const b = el('button', className, choice.label);
    b.type = 'button';
    if (choice.style === 'primary') b.classList.add('primary');
    if (choice.style === 'danger') b.classList.add('danger');
    b.addEventListener('click', () => onChoice(choice, card));
    return b;
  }

  /** A labelled group of buttons (choices, actions or follow-up chips). */
  function buttonGroup(choices, groupClass, label, buttonClass, card) {
    const group = el('div', groupClass);
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', label);
    for (const choice of choices) group.append(button(choice, buttonClass, card));
    return group;
  }

  /** One Reply as a card: badge and title, text blocks, facts table, buttons, follow-up chips, source line. */
  function renderCard(reply) {
    const card = el('article', 'card');
    const kind = typeof reply.kind === 'string' ? reply.kind : 'notice';
    card.classList.add('kind-' + kind.replace(/[^a-z]/g, ''));
    card.dataset.kind = kind;
    card.tabIndex = -1;
    if (reply.dialog && typeof reply.dialog.id === 'string') card.dataset.dialog = reply.dialog.id;

    const head = el('header', 'card-head');
    head.append(el('span', 'badge', KIND_LABEL[kind] || kind));
    if (reply.dialog && typeof reply.dialog.step === 'number' && !reply.dialog.done && kind === 'question') {
      head.append(el('span', 'step', 'Step ' + (reply.dialog.step + 1)));
    }
    if (reply.visibility === 'private') head.append(el('span', 'private', 'Only visible to you'));
    card.append(head);

    const titleText = reply.title || (reply.blocks && reply.blocks.length ? '' : reply.summary);
    if (titleText) {
      const title = el('h2', 'card-title', titleText);
      title.id = newId('t');
      card.setAttribute('aria-labelledby', title.id);
      card.append(title);
    } else {
      card.setAttribute('aria-label', reply.summary || KIND_LABEL[kind] || 'Reply');
    }

    for (const block of Array.isArray(reply.blocks) ? reply.blocks : []) {
      const section = el('section', 'block');
      if (block.heading) section.append(el('h3', 'block-heading', block.heading));
      if (block.text) section.append(el('p', 'block-text', block.text));
      if (Array.isArray(block.bullets) && block.bullets.length) {
        const ul = el('ul', 'bullets');
        for (const item of block.bullets) ul.append(el('li', '', item));
        section.append(ul);
      }
      card.append(section);
    }

    if (Array.isArray(reply.facts) && reply.facts.length) {
      const table = el('table', 'facts');
      const caption = el('caption', 'visually-hidden', 'Facts');
      table.append(caption);
      const body = el('tbody');
      for (const fact of reply.facts) {
        const tr = el('tr');
        const th = el('th', '', fact.label);
        th.scope = 'row';
        const td = el('td');
        const value = el('span', 'fact-value', fact.value);
        const side = sideOf(fact.value);
        if (side) value.dataset.side = side;
        td.append(value);
        tr.append(th, td);
        body.append(tr);
      }
      table.append(body);
      card.append(table);
    }

    if (Array.isArray(reply.choices) && reply.choices.length) {
      card.append(buttonGroup(reply.choices, 'choices', 'Choices', 'btn choice', card));
    }

    if (Array.isArray(reply.actions) && reply.actions.length) {
      const nav = reply.actions.filter((a) => a.action && a.action.type !== 'ask');
      const asks = reply.actions.filter((a) => a.action && a.action.type === 'ask');
      if (nav.length) card.append(buttonGroup(nav, 'actions', 'Actions', 'btn secondary', card));
      if (asks.length) card.append(buttonGroup(asks, 'followups', 'Follow-up questions', 'chip', card));
    }

    if (Array.isArray(reply.notes)) for (const note of reply.notes) card.append(el('p', 'note', note));
    if (reply.source) card.append(el('p', 'source', 'Source: ' + reply.source));
    return card;
  }

  function botRow(card) {
    const row = el('div', 'row bot');
    row.append(el('span', 'avatar', 'vk'), card);
    row.firstChild.setAttribute('aria-hidden', 'true');
    return row;
  }

  /** Where keyboard focus goes in a new card: its first answer button, else the card itself. */
  function focusIn(card) {
    const target = card.querySelector('.choices button') || card;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'nearest' });
  }

  function setBusy(on) {
    pending += on ? 1 : -1;
    const busy = pending > 0;
    log.setAttribute('aria-busy', busy ? 'true' : 'false');
    sendButton.disabled = busy;
    let typing = document.getElementById('typing');
    if (busy && !typing) {
      typing = el('div', 'row bot typing');
      typing.id = 'typing';
      typing.append(el('span', 'avatar', 'vk'), el('span', 'dots', 'vmk is thinking'));
      typing.firstChild.setAttribute('aria-hidden', 'true');
      log.append(typing);
      scrollToEnd();
    } else if (!busy && typing) {
      typing.remove();
    }
  }

  // ---- the composer's status line: empty message, length, what failed ----

  function say(text, tone) {
    // The status line takes room from the conversation: keep its end in view if it was.
    const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 2;
    status.textContent = text || '';
    status.dataset.tone = tone || '';
    status.hidden = !text;
    if (atEnd) log.scrollTo({ top: log.scrollHeight, behavior: 'instant' });
  }

  const fmt = (n) => n.toLocaleString('en');

  /** Says how long the message is once it nears the limit, and that it is too long once past it. */
  function checkLength() {
    const n = input.value.length;
    if (n > MAX_CHARS) {
      say('Your message has ' + fmt(n) + ' characters; vmk takes up to ' + fmt(MAX_CHARS) + '. Shorten it by ' + fmt(n - MAX_CHARS) + ' to send it.', 'error');
      input.setAttribute('aria-invalid', 'true');
      return false;
    }
    input.removeAttribute('aria-invalid');
    if (n > MAX_CHARS * 0.9) say(fmt(n) + ' of ' + fmt(MAX_CHARS) + ' characters', 'info');
    else if (status.dataset.tone !== 'hint') say('');
    return true;
  }

  // ---- sending ----

  function removeRetryNotices() {
    for (const row of Array.from(log.querySelectorAll('.row.retry'))) row.remove();
  }

  /** A failed turn: the reason, and a Retry button when sending again can help. */
  function failed(message, retry) {
    const row = el('div', 'row notice error' + (retry ? ' retry' : ''));
    row.setAttribute('role', 'alert');
    row.append(el('p', 'notice-text', message));
    let again = null;
    if (retry) {
      again = el('button', 'btn retry-button', 'Retry');
      again.type = 'button';
      again.addEventListener('click', () => {
        row.remove();
        retry();
      });
      row.append(again);
    }
    log.append(row);
    scrollToEnd();
    return again;
  }

  function markUnsent(row, unsent) {
    if (!row) return;
    row.classList.toggle('unsent', unsent);
    const entry = entryOf(row);
    if (entry) entry.failed = unsent;
    let note = row.querySelector('.unsent-note');
    if (unsent && !note) {
      note = el('span', 'unsent-note', 'Not sent');
      row.prepend(note);
    } else if (!unsent && note) {
      note.remove();
    }
  }

  /**
   * Sends one turn. `ctx.origin`: the card whose button was clicked (its
   * buttons are disabled meanwhile; a reply with replaceOriginal takes its
   * place). `ctx.userRow` and `ctx.text`: the bubble and text of a typed
   * message. `ctx.focus`: move keyboard focus to the answer (button clicks).
   */
  async function send(payload, ctx) {
    removeRetryNotices();
    setBusy(true);
    const origin = ctx.origin && ctx.origin.isConnected ? ctx.origin : null;
    const buttons = origin ? Array.from(origin.querySelectorAll('button')) : [];
    // Disabling the focused button would drop focus to the page: hold it on the conversation instead.
    if (buttons.includes(document.activeElement)) log.focus({ preventScroll: true });
    for (const b of buttons) b.disabled = true;
    let replaced = false;
    let problem = null;
    try {
      let res = null;
      let body = null;
      try {
        res = await fetch(ENDPOINT, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(Object.assign({ conversation }, payload)),
        });
        body = await res.json().catch(() => null);
      } catch (err) {
        problem = { message: 'Could not reach vmk (' + (err && err.message ? err.message : String(err)) + '). Check that the server is running, then retry.', retry: true };
      }
      if (!problem && (!res.ok || !body || !Array.isArray(body.replies))) {
        const message = body && typeof body.message === 'string' ? body.message : 'vmk did not answer (HTTP ' + res.status + ').';
        // A request the server refused as invalid fails the same way again; a busy or failing server may not.
        problem = { message, retry: res.status === 429 || res.status >= 500 };
      }
      if (problem) return;

      markUnsent(ctx.userRow, false);
      // A retried message that was put back into the box has now been sent.
      if (ctx.text !== undefined && input.value.trim() === ctx.text) {
        input.value = '';
        autosize();
        checkLength();
      }
      let first = null;
      let after = null;
      for (const reply of body.replies) {
        const card = renderCard(reply);
        const row = botRow(card);
        if (reply.replaceOriginal && origin && !replaced && origin.isConnected) {
          const old = origin.closest('.row');
          const entry = entryOf(old);
          old.replaceWith(row);
          replaced = true;
          if (entry) {
            entry.reply = reply;
            row.dataset.entry = String(entry.id);
          } else {
            addEntry({ kind: 'bot', reply }, row);
          }
        } else {
          if (after) after.after(row);
          else log.append(row);
          if (after) {
            // Keep the transcript in page order: insert after the entry shown above it.
            const entry = { kind: 'bot', reply };
            entry.id = nextEntry++;
            row.dataset.entry = String(entry.id);
            const at = entries.indexOf(entryOf(after));
            entries.splice(at + 1, 0, entry);
          } else {
            addEntry({ kind: 'bot', reply }, row);
          }
        }
        after = row;
        first = first || card;
      }
      saveTranscript();
      if (first && ctx.focus) focusIn(first);
      else if (!replaced) scrollToEnd();
    } finally {
      setBusy(false);
      if (!replaced) for (const b of buttons) b.disabled = false;
      if (problem) {
        markUnsent(ctx.userRow, true);
        // The typed text goes back into the box (unless something new was typed meanwhile).
        if (ctx.text !== undefined && input.value.trim() === '') {
          input.value = ctx.text;
          autosize();
          checkLength();
        }
        const again = failed(problem.message, problem.retry ? () => send(payload, ctx) : null);
        if (ctx.focus && again) again.focus({ preventScroll: true });
      }
    }
  }

  function onChoice(choice, card) {
    const action = choice.action;
    if (!action || typeof action.type !== 'string') return;
    hideIntro();
    const ctx = { origin: card, focus: true };
    if (action.type === 'ask') ctx.userRow = appendUser(action.text);
    else if (action.type === 'start') ctx.userRow = appendUser(choice.label);
    send({ action }, ctx);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (pending > 0) return;
    const text = input.value.trim();
    if (!text) {
      say('Type a question or describe your workload first.', 'hint');
      input.focus();
      return;
    }
    if (!checkLength()) {
      input.focus();
      return;
    }
    say('');
    input.value = '';
    autosize();
    const row = appendUser(text);
    send({ text }, { userRow: row, text, focus: false });
    input.focus();
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 220) + 'px';
  }
  input.addEventListener('input', () => {
    autosize();
    if (status.dataset.tone === 'hint' && input.value.trim()) say('');
    checkLength();
  });

  for (const b of document.querySelectorAll('[data-ask]')) {
    b.addEventListener('click', () => {
      const row = appendUser(b.textContent);
      send({ text: b.getAttribute('data-ask') }, { userRow: row, focus: true });
    });
  }
  for (const b of document.querySelectorAll('[data-start]')) {
    b.addEventListener('click', () => {
      const row = appendUser(b.textContent);
      send({ action: { type: 'start' } }, { userRow: row, focus: true });
    });
  }
  for (const b of document.querySelectorAll('[data-sample]')) {
    b.addEventListener('click', () => {
      input.value = SAMPLE_WORKLOAD;
      autosize();
      checkLength();
      input.focus();
    });
  }

  document.getElementById('new-conversation').addEventListener('click', () => {
    try {
      localStorage.removeItem(KEYS.transcript + conversation);
    } catch {
      /* nothing stored */
    }
    conversation = newId('web');
    try {
      localStorage.setItem(KEYS.conversation, conversation);
    } catch {
      /* private mode: the id lives for this page only */
    }
    entries = [];
    for (const row of Array.from(log.querySelectorAll('.row'))) row.remove();
    if (intro) intro.hidden = false;
    say('');
    input.focus();
  });

  /** Shows the conversation as it was before the reload: the dialog's waiting question keeps working buttons. */
  function restore() {
    const saved = loadTranscript();
    if (saved.length === 0) return;
    hideIntro();
    for (const entry of saved) {
      const row = entry.kind === 'user' ? userRow(entry.text) : botRow(renderCard(entry.reply));
      // Shown as it was: no entrance animation, no smooth scroll through the whole history.
      row.classList.add('restored');
      log.append(row);
      addEntry(entry, row);
    }
    log.scrollTo({ top: log.scrollHeight, behavior: 'instant' });
  }

  // The full placeholder wraps in a phone's narrow box.
  if (window.matchMedia('(max-width: 560px)').matches) input.placeholder = 'Ask a question...';

  say('');
  restore();
  input.focus();
})();
