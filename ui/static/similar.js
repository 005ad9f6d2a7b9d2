element.addEventListener('click', (event) => {
  const button = event.target.closest('.zy-similar-btn');
  if (!button) return;
  event.preventDefault();
  const box = document.querySelector('#zy-sim-target textarea, #zy-sim-target input');
  const go = document.querySelector('#zy-sim-trigger');
  if (!box || !go) return;
  box.value = button.dataset.chunk;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  setTimeout(() => go.click(), 60);
});
