// vmk playground: renders vmk's neutral Reply objects as cards, the way the
// Slack and Teams renderers do, and sends typed text or button clicks to
// POST /api/playground/turn. Plain browser JavaScript, no build step.
// Every piece of text goes into the page through textContent, never innerHTML.
'use strict';

(() => {
  const ENDPOINT = '/api/playground/turn';
  const KEYS = { conversation: 'vmk.playground.conversation', user: 'vmk.playground.user' };
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

  /** A random id that works outside secure contexts too (crypto.randomUUID needs https or localhost). */
  function newId(prefix) {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return prefix + '-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function stored(key, prefix) {
    try {
      let value = localStorage.getItem(key);
      if (!value || !/^[\w.:@-]{1,200}$/.test(value)) {
        value = newId(prefix);
        localStorage.setItem(key, value);
      }
      return value;
    } catch {
      return newId(prefix);
    }
  }

  let conversation = stored(KEYS.conversation, 'web');
  const user = stored(KEYS.user, 'user');
  let pending = 0;

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
    if (intro && !intro.hidden) intro.hidden = true;
  }

  function appendUser(text) {
    hideIntro();
    const row = el('div', 'row user');
    const bubble = el('p', 'bubble', text);
    row.append(el('span', 'visually-hidden', 'You said: '), bubble);
    log.append(row);
    scrollToEnd();
  }

  function appendNotice(text, isError) {
    const row = el('div', 'row notice' + (isError ? ' error' : ''));
    row.append(el('p', 'notice-text', text));
    row.setAttribute('role', isError ? 'alert' : 'status');
    log.append(row);
    scrollToEnd();
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
    if (reply.source) card.append(el('p', 'source', reply.source));
    return card;
  }

  function botRow(card) {
    const row = el('div', 'row bot');
    row.append(el('span', 'avatar', 'vk'), card);
    row.firstChild.setAttribute('aria-hidden', 'true');
    return row;
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

  async function send(payload, origin) {
    setBusy(true);
    const buttons = origin ? Array.from(origin.querySelectorAll('button')) : [];
    for (const b of buttons) b.disabled = true;
    let replaced = false;
    try {
      const res = await fetch(ENDPOINT, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(Object.assign({ conversation, user }, payload)),
      });
      let body = null;
      try {
        body = await res.json();
      } catch {
        body = null;
      }
      if (!res.ok || !body || !Array.isArray(body.replies)) {
        const message = body && typeof body.message === 'string' ? body.message : 'vmk did not answer (HTTP ' + res.status + ').';
        appendNotice(message, true);
        return;
      }
      let focusTarget = null;
      let after = null;
      for (const reply of body.replies) {
        const card = renderCard(reply);
        if (reply.replaceOriginal && origin && !replaced && origin.isConnected) {
          const row = origin.closest('.row');
          const newRow = botRow(card);
          row.replaceWith(newRow);
          replaced = true;
          after = newRow;
          focusTarget = card.querySelector('button') || card;
        } else if (after) {
          const newRow = botRow(card);
          after.after(newRow);
          after = newRow;
        } else {
          log.append(botRow(card));
        }
      }
      if (focusTarget) focusTarget.focus({ preventScroll: true });
      if (!replaced) scrollToEnd();
    } catch (err) {
      appendNotice('Could not reach vmk: ' + (err && err.message ? err.message : String(err)) + '. Is the server running?', true);
    } finally {
      setBusy(false);
      if (!replaced) for (const b of buttons) b.disabled = false;
    }
  }

  function onChoice(choice, card) {
    const action = choice.action;
    if (!action || typeof action.type !== 'string') return;
    hideIntro();
    if (action.type === 'ask') {
      appendUser(action.text);
      send({ action }, card);
    } else if (action.type === 'start') {
      appendUser(choice.label);
      send({ action }, card);
    } else {
      send({ action }, card);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || pending > 0) return;
    input.value = '';
    autosize();
    appendUser(text);
    send({ text }, null);
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
  input.addEventListener('input', autosize);

  for (const b of document.querySelectorAll('[data-ask]')) {
    b.addEventListener('click', () => {
      appendUser(b.textContent);
      send({ text: b.getAttribute('data-ask') }, null);
    });
  }
  for (const b of document.querySelectorAll('[data-start]')) {
    b.addEventListener('click', () => {
      appendUser(b.textContent);
      send({ action: { type: 'start' } }, null);
    });
  }
  for (const b of document.querySelectorAll('[data-sample]')) {
    b.addEventListener('click', () => {
      input.value = SAMPLE_WORKLOAD;
      autosize();
      input.focus();
    });
  }

  document.getElementById('new-conversation').addEventListener('click', () => {
    conversation = newId('web');
    try {
      localStorage.setItem(KEYS.conversation, conversation);
    } catch {
      /* private mode: the id lives for this page only */
    }
    for (const row of Array.from(log.querySelectorAll('.row'))) row.remove();
    if (intro) intro.hidden = false;
    input.focus();
  });

  input.focus();
})();
