const pick = (row) => {
  const box = document.querySelector('#zy-lib-pick textarea, #zy-lib-pick input');
  const go = document.querySelector('#zy-lib-go');
  if (!box || !go) return;
  box.value = row.dataset.meeting !== undefined ? 'meeting:' + row.dataset.meeting : 'speech:' + row.dataset.speech;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  setTimeout(() => go.click(), 60);
};
element.addEventListener('click', (event) => {
  const row = event.target.closest('.zy-row');
  if (row) pick(row);
});
element.addEventListener('keydown', (event) => {
  const row = event.target.closest('.zy-row');
  if (row && event.key === 'Enter') pick(row);
});
