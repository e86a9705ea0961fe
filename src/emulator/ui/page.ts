import type { WorkspaceState } from '../workspace.js';
import { esc } from './blockkit.js';
import type { UiFragments } from './render.js';

const CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d1c1d;display:flex;height:100vh}
#side{width:240px;background:#3f0e40;color:#e8dfe8;display:flex;flex-direction:column;padding:12px 0}
#side h1{font-size:16px;margin:0 16px 8px}#side label{margin:0 16px;font-size:12px;opacity:.8}
#user{margin:4px 16px 12px;padding:4px}
.channels{list-style:none;margin:0;padding:0;overflow:auto}.channels a{display:block;padding:3px 16px;color:#e8dfe8;text-decoration:none}
.channels a.active{background:#1164a3;color:#fff}.channels a.not-member{opacity:.6}.channels a.archived{text-decoration:line-through}
#main{flex:1;display:flex;flex-direction:column;min-width:0}
#head{padding:10px 16px;border-bottom:1px solid #ddd}#head h2{margin:0;font-size:18px}
#content{flex:1;overflow:auto;padding:8px 16px}
.msg{padding:6px 8px;border-radius:6px}.msg:hover{background:#f8f8f8}.msg.reply{margin-left:8px}
.msg.ephemeral{background:#f4f8ff;border-left:3px solid #1264a3}.eph-note{font-size:11px;color:#1264a3}
.msg.system{padding:2px 8px;font-size:12px}
.meta{margin-bottom:2px}.muted{color:#777;font-size:12px}.badge{font-size:10px;background:#ddd;border-radius:3px;padding:0 4px;color:#444}
.badge.pin{background:#fff3c4}
.thread{margin:0 0 6px 40px;border-left:2px solid #e2e2e2;padding-left:8px}.thread summary{cursor:pointer;color:#1264a3;font-size:12px}
.b-header{margin:4px 0;font-size:16px}.b-divider{border:0;border-top:1px solid #e2e2e2;margin:8px 0}
.b-section{display:flex;gap:12px;margin:4px 0}.b-main{flex:1}.b-fields{display:grid;grid-template-columns:1fr 1fr;gap:4px 16px;margin-top:4px}
.b-context{color:#616061;font-size:12px;margin:4px 0}.b-actions{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}
.btn{border:1px solid #bbb;background:#fff;border-radius:4px;padding:4px 12px;cursor:pointer;font:inherit}
.btn-primary{background:#007a5a;border-color:#007a5a;color:#fff}.btn-danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
code{background:#f3f3f3;border:1px solid #e2e2e2;border-radius:3px;padding:0 3px;color:#c01343}
pre{background:#f8f8f8;border:1px solid #e2e2e2;border-radius:4px;padding:6px;white-space:pre-wrap}
blockquote{margin:0;border-left:3px solid #ddd;padding-left:8px}.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.attachment{border-left:4px solid #ddd;padding-left:8px;margin:4px 0}.reaction{border:1px solid #ddd;border-radius:10px;padding:0 6px;margin-right:4px;font-size:12px}
.topic{font-size:13px}.bookmarks{font-size:12px}.unsupported{color:#a00;font-size:12px}
@media (max-width:700px){body{flex-direction:column;height:100dvh}#side{width:100%;padding:6px 0;flex-direction:row;flex-wrap:wrap;align-items:center;gap:4px}#side h1{display:none}#user{margin:0 8px}#side-list{width:100%;overflow-x:auto}.channels{display:flex;white-space:nowrap}.channels a{padding:4px 10px}.b-fields{grid-template-columns:1fr}#composer input{min-width:0}}
#composer{display:flex;gap:8px;padding:10px 16px;border-top:1px solid #ddd}#compose{flex:1;padding:8px;font:inherit;border:1px solid #bbb;border-radius:6px}
#status{padding:0 16px 6px;font-size:12px;color:#555;min-height:18px}
.overlay{position:fixed;inset:0;background:rgba(0,0,0,.4);display:flex;align-items:center;justify-content:center}
.modal{background:#fff;border-radius:8px;width:520px;max-height:90vh;display:flex;flex-direction:column}
.modal h2{margin:0;padding:14px 18px;border-bottom:1px solid #ddd;font-size:18px}.modal-body{padding:12px 18px;overflow:auto}
.modal-foot{display:flex;justify-content:flex-end;gap:8px;padding:12px 18px;border-top:1px solid #ddd}
.b-input{margin:8px 0}.lbl{display:block;font-weight:bold;margin-bottom:4px}.b-input input[type=text],.b-input input[type=email],.b-input input[type=number],.b-input textarea,.b-input select{width:100%;padding:6px;font:inherit}
.opt{display:block;font-weight:normal}.error{color:#e01e5a;font-size:12px}
`;

/**
 * The browser side: polls /_emulator/ui/render, swaps in server-rendered HTML, and turns clicks, selects,
 * the composer and modal forms into /_emulator/* calls. Written without template literals on purpose: it lives
 * inside one.
 */
const JS = `
(function(){
  var TOKEN = document.body.dataset.token;
  var S = { user: document.body.dataset.user, channel: document.body.dataset.channel, version: -1, modalKey: null, open: {}, busy: false };
  var $ = function(id){ return document.getElementById(id); };
  function status(text){ $('status').textContent = text; }
  function post(path, body){
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-emulator-token': TOKEN }, body: JSON.stringify(body) })
      .then(function(r){ return r.json().then(function(j){ if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status)); return j; }); });
  }
  function apply(f){
    var content = $('content');
    var atBottom = content.scrollHeight - content.scrollTop - content.clientHeight < 40;
    S.version = f.version; S.user = f.user; S.channel = f.channel;
    $('side-list').innerHTML = f.sidebar;
    $('title').textContent = f.title;
    content.innerHTML = f.main;
    content.querySelectorAll('details[data-thread]').forEach(function(d){ if (S.open[d.dataset.thread]) d.open = true; });
    if (atBottom) content.scrollTop = content.scrollHeight;
    if (f.modalKey !== S.modalKey) { S.modalKey = f.modalKey; $('modal').innerHTML = f.modal; }
    var url = new URL(location.href); url.searchParams.set('user', S.user); url.searchParams.set('channel', S.channel);
    history.replaceState(null, '', url);
  }
  function refresh(force){
    if (S.busy && !force) return Promise.resolve();
    S.busy = true;
    var q = '?user=' + encodeURIComponent(S.user) + '&channel=' + encodeURIComponent(S.channel) + '&since=' + (force ? -1 : S.version);
    return fetch('/_emulator/ui/render' + q, { headers: { 'x-emulator-token': TOKEN } }).then(function(r){ return r.json(); })
      .then(function(f){ if (!f.unchanged) apply(f); })
      .catch(function(e){ status('refresh failed: ' + e.message); })
      .finally(function(){ S.busy = false; });
  }
  function soon(){ refresh(true); setTimeout(function(){ refresh(true); }, 300); setTimeout(function(){ refresh(true); }, 1000); }
  function targetChannel(){ return S.channel === '@home' ? S.user : S.channel; }
  function report(label){ return function(r){ status(label + ': HTTP ' + r.status + (r.error ? ' (' + r.error + ')' : '')); soon(); }; }
  function fail(e){ status('error: ' + e.message); soon(); }

  function clickAction(el, value){
    if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
    if (el.dataset.url) window.open(el.dataset.url, '_blank', 'noopener');
    var body = { user: S.user, channel: targetChannel(), actionId: el.dataset.actionId, blockId: el.dataset.blockId };
    if (value !== undefined) body.value = value;
    var view = el.closest('[data-view-id]');
    var msg = el.closest('.msg[data-ts]');
    if (view) body.viewId = view.dataset.viewId; else if (msg) body.messageTs = msg.dataset.ts;
    post('/_emulator/click', body).then(report('click ' + body.actionId)).catch(fail);
  }

  document.addEventListener('click', function(ev){
    var t = ev.target.closest('a[data-channel],button[data-action-id],button[data-close-view]');
    if (!t) return;
    ev.preventDefault();
    if (t.dataset.channel) { S.channel = t.dataset.channel; refresh(true); if (S.channel === '@home') post('/_emulator/home', { user: S.user }).then(soon).catch(fail); return; }
    if (t.dataset.closeView) { post('/_emulator/close-view', { user: S.user, viewId: t.dataset.closeView }).then(soon).catch(fail); return; }
    if (t.closest('form.modal') && t.type === 'submit') return;
    clickAction(t, t.dataset.value);
  });
  document.addEventListener('change', function(ev){
    var t = ev.target;
    if (t.id === 'user') { S.user = t.value; S.modalKey = null; refresh(true); return; }
    if (t.matches && t.matches('select.act,input.act') && t.value) clickAction(t, t.value);
  });
  document.addEventListener('toggle', function(ev){
    var d = ev.target; if (d.dataset && d.dataset.thread) S.open[d.dataset.thread] = d.open;
  }, true);

  function collect(form){
    var values = {};
    form.querySelectorAll('[data-block-id][data-action-id]').forEach(function(el){
      var b = el.dataset.blockId, a = el.dataset.actionId, type = el.dataset.type;
      values[b] = values[b] || {};
      if (type === 'checkboxes') {
        var list = values[b][a] || []; if (el.checked) list.push(el.value); values[b][a] = list;
      } else if (type === 'radio_buttons') {
        if (el.checked) values[b][a] = el.value; else if (!(a in values[b])) values[b][a] = null;
      } else if (el.multiple) {
        values[b][a] = Array.prototype.map.call(el.selectedOptions, function(o){ return o.value; });
      } else {
        values[b][a] = el.value === '' ? null : el.value;
      }
    });
    return values;
  }
  document.addEventListener('submit', function(ev){
    var form = ev.target;
    ev.preventDefault();
    if (form.id === 'composer') {
      var input = $('compose'); var line = input.value.trim(); if (!line) return;
      input.value = '';
      if (line.charAt(0) === '/') {
        var sp = line.indexOf(' ');
        var command = sp < 0 ? line : line.slice(0, sp), text = sp < 0 ? '' : line.slice(sp + 1);
        status('sending ' + command + '…');
        post('/_emulator/slash', { user: S.user, channel: targetChannel(), command: command, text: text }).then(report(command)).catch(fail);
      } else {
        post('/_emulator/say', { user: S.user, channel: targetChannel(), text: line }).then(soon).catch(fail);
      }
      return;
    }
    if (form.classList.contains('modal')) {
      post('/_emulator/submit', { user: S.user, viewId: form.dataset.viewId, values: collect(form) })
        .then(function(r){ S.modalKey = null; report('submit')(r); }).catch(fail);
    }
  });
  setInterval(function(){ refresh(false); }, 800);
  var c = $('content'); c.scrollTop = c.scrollHeight;
  S.version = Number(document.body.dataset.version);
  S.modalKey = document.body.dataset.modalKey;
})();
`;

/** The whole page, first render done on the server so it works (read-only) without JavaScript too. */
export function renderPage(state: WorkspaceState, f: UiFragments, controlToken = ''): string {
  const users = [...state.users.values()]
    .filter((u) => !u.is_bot)
    .map(
      (u) =>
        `<option value="${esc(u.id)}"${u.id === f.user ? ' selected' : ''}>${esc(u.name)} — ${esc(u.profile.title)}</option>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(state.team.name)} — incident-bot local Slack</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body data-user="${esc(f.user)}" data-channel="${esc(f.channel)}" data-version="${f.version}" data-modal-key="${esc(f.modalKey)}" data-token="${esc(controlToken)}">
<nav id="side"><h1>${esc(state.team.name)}</h1><label for="user">Acting as</label><select id="user">${users}</select>
<div id="side-list">${f.sidebar}</div></nav>
<main id="main"><header id="head"><h2 id="title">${esc(f.title)}</h2></header>
<section id="content">${f.main}</section>
<div id="status"></div>
<form id="composer" autocomplete="off"><input id="compose" name="compose" placeholder="Type a slash command, e.g. /incident declare P1 API down — or a message">
<button class="btn btn-primary" type="submit">Send</button></form></main>
<div id="modal">${f.modal}</div>
<script>${JS}</script></body></html>`;
}
