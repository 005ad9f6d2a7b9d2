// The speech reader overlay (ui/tabs/reader.py). Runs with `element` = the #zy-reader component.
const panel = () => element.querySelector('.zy-reader');
const openShown = () => {
  const r = panel();
  if (!r) return;
  r.hidden = false;
  document.body.classList.add('zy-reading');
  const cited = r.querySelector('.zy-cited');
  if (cited) cited.scrollIntoView({ block: 'center' });
  const close = r.querySelector('.zy-reader-close');
  if (close) close.focus({ preventScroll: true });
};
const closeReader = () => {
  const r = panel();
  if (!r || r.hidden) return;
  r.hidden = true;
  document.body.classList.remove('zy-reading');
  if (window.zyReaderOpener && document.body.contains(window.zyReaderOpener)) window.zyReaderOpener.focus({ preventScroll: true });
};
watch('value', openShown);
element.addEventListener('click', (event) => {
  if (event.target.closest('.zy-reader-close') || event.target.classList.contains('zy-reader')) closeReader();
});
document.addEventListener('keydown', (event) => { if (event.key === 'Escape') closeReader(); });
document.addEventListener('click', (event) => {
  const button = event.target.closest('.zy-read-btn');
  if (!button) return;
  event.preventDefault();
  window.zyReaderOpener = button;
  const r = panel();
  if (r && r.dataset.chunk === button.dataset.chunk) { openShown(); return; }  // same paragraph: no round trip
  const box = document.querySelector('#zy-read-target textarea, #zy-read-target input');
  const go = document.querySelector('#zy-read-trigger');
  if (!box || !go) return;
  box.value = button.dataset.chunk;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  setTimeout(() => go.click(), 60);
});
