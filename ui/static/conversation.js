const scroll = () => { const c = element.querySelector('.zy-chat'); if (c) c.scrollTop = c.scrollHeight; };
watch('value', scroll);
let pop = document.getElementById('zy-pop');
if (!pop) {
  pop = document.createElement('div');
  pop.id = 'zy-pop'; pop.hidden = true;
  pop.setAttribute('role', 'dialog'); pop.setAttribute('aria-label', '引用来源');
  document.body.appendChild(pop);
}
const hide = () => { pop.hidden = true; };
const show = (a) => {
  const card = document.getElementById(a.getAttribute('href').slice(1));
  if (!card) return;
  const head = card.querySelector('.zy-src-head');
  const mark = card.querySelector('mark') || card.querySelector('.zy-src-text');
  const where = card.querySelector('.zy-where');
  pop.innerHTML = '<button type="button" class="zy-pop-close" aria-label="关闭">×</button>'
    + '<div class="zy-src-head">' + head.innerHTML + '</div>'
    + '<div class="zy-pop-text">' + mark.innerHTML + '</div>'
    + '<div class="zy-pop-foot">' + (where ? where.innerHTML : '') + '</div>'
    + '<button type="button" class="zy-pop-go" data-card="' + card.id + '">查看原文段落</button> '
    + '<button type="button" class="zy-read-btn" data-chunk="' + card.dataset.chunk.replace(/"/g, '&quot;') + '">阅读全文</button>';
  window.zyLastCite = a;
  const narrow = window.matchMedia('(max-width: 700px)').matches;
  pop.className = narrow ? 'zy-sheet' : 'zy-popover';
  if (narrow) { pop.style.left = ''; pop.style.top = ''; }
  else {
    const r = a.getBoundingClientRect();
    pop.style.left = Math.max(8, Math.min(r.left, window.innerWidth - 400)) + 'px';
    pop.style.top = (r.bottom + window.scrollY + 6) + 'px';
  }
  pop.hidden = false;
};
element.addEventListener('click', (event) => {
  const a = event.target.closest('a.zy-cite');
  if (a) { event.preventDefault(); event.stopPropagation(); show(a); return; }
  const next = event.target.closest('.zy-follow-q');
  if (next) {
    const box = document.querySelector('#zy-question textarea');
    box.value = next.dataset.q;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(() => document.querySelector('#zy-ask').click(), 60);
    return;
  }
  const edit = event.target.closest('.zy-edit-q');
  if (edit) {
    const box = document.querySelector('#zy-question textarea');
    box.value = edit.dataset.q;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    box.focus();
  }
});
element.addEventListener('mouseover', (event) => {
  const a = event.target.closest('a.zy-cite');
  if (a && window.matchMedia('(hover: hover) and (min-width: 701px)').matches) show(a);
});
// On phones the cited card sits far below the answer: a floating button leads back to the [n] marker.
const back = () => {
  let b = document.getElementById('zy-back');
  if (!b) {
    b = document.createElement('button');
    b.id = 'zy-back'; b.type = 'button'; b.hidden = true; b.textContent = '↑ 回到回答';
    b.addEventListener('click', () => {
      b.hidden = true;
      const cite = window.zyLastCite;
      if (cite && document.body.contains(cite)) { cite.scrollIntoView({ block: 'center' }); cite.focus({ preventScroll: true }); }
      else { const c = document.getElementById('zy-conv'); if (c) c.scrollIntoView({ block: 'start' }); }
    });
    document.body.appendChild(b);
  }
  return b;
};
if (!window.zyPopWired) {
  window.zyPopWired = true;
  document.addEventListener('click', (event) => {
    const p = document.getElementById('zy-pop');
    if (!p || p.hidden) return;
    const go = event.target.closest('.zy-pop-go');
    if (go) {
      const card = document.getElementById(go.dataset.card);
      p.hidden = true;
      if (card) { card.closest('details').open = true; card.scrollIntoView({ behavior: 'smooth', block: 'center' });
        card.classList.add('zy-flash'); setTimeout(() => card.classList.remove('zy-flash'), 1600);
        if (window.matchMedia('(max-width: 700px)').matches) back().hidden = false; }
      return;
    }
    if (event.target.closest('.zy-read-btn')) p.hidden = true;
    if (event.target.closest('.zy-pop-close') || !event.target.closest('#zy-pop')) p.hidden = true;
  });
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') { const p = document.getElementById('zy-pop'); if (p) p.hidden = true; } });
}
