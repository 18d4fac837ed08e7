/**
 * Studio's stylesheet and its one script, served from /static/. Kept as text here so there is no
 * build step and nothing to copy: the pages work without the script; it adds live progress, the
 * viewer's own time beside the calendar's, and confirmation prompts.
 */
export const STYLESHEET = `
:root{--fg:#1d2330;--muted:#5b6474;--line:#d9dee7;--bg:#f6f7fa;--card:#fff;--accent:#2952cc;--bad:#b42318;--ok:#067647;--warn:#b54708}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#111827;color:#fff}
header nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;padding:.6rem 1rem;max-width:1200px;margin:auto}
header a{color:#fff;text-decoration:none;font-weight:600}
header .who{margin-left:auto;color:#cbd5e1;font-size:.9rem}
header form{display:inline}
header button{background:none;border:1px solid #475569;color:#e2e8f0;border-radius:6px;padding:.15rem .5rem;cursor:pointer}
main{max-width:1200px;margin:auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}
h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
a{color:var(--accent)}
.flash{padding:.6rem .8rem;border-radius:8px;margin-bottom:1rem;background:#ecfdf3;border:1px solid #abefc6}
.flash.error{background:#fef3f2;border-color:#fecdca;color:var(--bad)}
.toolbar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:.8rem}
.toolbar label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
select,input,textarea,button{font:inherit}
select,input[type=text],input[type=password],textarea{padding:.35rem .45rem;border:1px solid var(--line);border-radius:6px;background:#fff}
button,.button{background:var(--accent);color:#fff;border:0;border-radius:6px;padding:.4rem .8rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:var(--fg);border:1px solid var(--line)}
button.danger{background:var(--bad)}
.month{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));gap:4px}
.month .dow{font-size:.8rem;color:var(--muted);text-align:center}
.day{background:var(--card);border:1px solid var(--line);border-radius:6px;min-height:6.5rem;padding:.25rem;overflow:hidden}
.day.other{opacity:.45}
.day.today{outline:2px solid var(--accent)}
.day .num{display:flex;justify-content:space-between;font-size:.8rem;color:var(--muted)}
.problem{color:var(--warn);font-weight:700;text-decoration:none}
.post{display:flex;gap:.3rem;align-items:center;border-radius:4px;padding:.15rem;margin-top:.2rem;text-decoration:none;color:inherit;font-size:.78rem;border-left:3px solid var(--line);background:#fafbfc}
.post img{width:22px;height:39px;object-fit:cover;border-radius:2px;background:#e5e7eb;flex:none}
.post .t{font-variant-numeric:tabular-nums;font-weight:600}
.post .c{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.stage{display:inline-block;font-size:.72rem;border-radius:99px;padding:0 .4rem;background:#eef2f6;color:#344054;white-space:nowrap}
.s-published{border-color:var(--ok)}.stage.s-published{background:#dcfae6;color:var(--ok)}
.s-awaiting-approval{border-color:#7a5af8}.stage.s-awaiting-approval{background:#ebe9fe;color:#5925dc}
.s-awaiting-replay{border-color:var(--bad)}.stage.s-awaiting-replay{background:#fee4e2;color:var(--bad)}
.s-held{border-color:#dc6803}.stage.s-held{background:#fef0c7;color:#b54708}
.gate-frame{max-width:240px;border-radius:6px;display:block;margin:.5em 0}
.s-skipped,.s-cancelled{border-color:#98a2b3}.stage.s-skipped,.stage.s-cancelled{background:#f2f4f7;color:#475467}
.s-expired{border-color:var(--bad)}.stage.s-expired{background:#f2f4f7;color:var(--bad)}
.s-generating,.s-transcoding,.s-publishing{border-color:#2e90fa}.stage.s-generating,.stage.s-transcoding,.stage.s-publishing{background:#d1e9ff;color:#175cd3}
.s-paused{border-color:var(--warn)}.stage.s-paused{background:#fef0c7;color:var(--warn)}
.week{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));gap:6px}
.week .post{font-size:.85rem;flex-wrap:wrap}
.week .post img{width:45px;height:80px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem;margin-bottom:.8rem}
.channels{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.8rem}
video{width:100%;max-height:70vh;background:#000;border-radius:6px}
pre.text{white-space:pre-wrap;word-break:break-word;background:#f8fafc;border:1px solid var(--line);border-radius:6px;padding:.5rem;margin:.3rem 0;font:inherit}
.over{color:var(--bad);font-weight:700}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;padding:.4rem;border-bottom:1px solid var(--line);vertical-align:top}
.muted{color:var(--muted)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-start}
.actions form{display:flex;gap:.4rem;flex-wrap:wrap;align-items:center}
progress{width:100%;height:10px}
.login{max-width:340px;margin:10vh auto;display:flex;flex-direction:column;gap:.6rem}
.viewer-time{color:var(--muted);font-size:.75em}
@media (max-width:760px){
 .month,.week{display:block}
 .month .dow{display:none}
 .day{min-height:0;margin-bottom:4px}
 .day.empty,.day.other{display:none}
 .post img{width:36px;height:64px}
 .post{font-size:.9rem}
 th:nth-child(n+4),td:nth-child(n+4){display:none}
}
`;

export const SCRIPT = `
(function(){
  // The viewer's own time beside the calendar's, when their zone differs.
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll('time[data-utc][data-zone]').forEach(function(el){
    if (el.dataset.zone === zone) return;
    var d = new Date(el.dataset.utc);
    if (isNaN(d)) return;
    var s = document.createElement('span');
    s.className = 'viewer-time';
    s.textContent = ' (' + d.toLocaleTimeString([], {hour:'2-digit', minute:'2-digit', hourCycle:'h23'}) + ' yours)';
    el.after(s);
  });
  // Confirm actions that cannot be undone.
  document.querySelectorAll('form[data-confirm]').forEach(function(f){
    f.addEventListener('submit', function(e){ if (!confirm(f.dataset.confirm)) e.preventDefault(); });
  });
  // Live progress (server-sent events fed by the activity heartbeats).
  var box = document.getElementById('progress');
  if (box && box.dataset.post && window.EventSource) {
    var bar = box.querySelector('progress');
    var text = box.querySelector('[data-detail]');
    var first = box.dataset.stage;
    var es = new EventSource('/events?post=' + encodeURIComponent(box.dataset.post));
    es.addEventListener('progress', function(ev){
      var p = JSON.parse(ev.data);
      if (bar && p.percent >= 0) bar.value = p.percent;
      if (text) text.textContent = p.detail || '';
      if (p.stage && p.stage !== first) { es.close(); location.reload(); }
    });
    es.addEventListener('end', function(){ es.close(); });
  }
})();
`;
