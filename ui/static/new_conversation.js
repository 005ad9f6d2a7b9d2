// 新对话 asks first (ui/tabs/conversations.py): this bar confirms or cancels; `element` is the bar's component.
element.addEventListener('click', (event) => {
  const bar = element.querySelector('#zy-clear-confirm');
  if (event.target.closest('.zy-clear-yes')) { bar.hidden = true; document.querySelector('#zy-clear-go').click(); }
  else if (event.target.closest('.zy-clear-no')) { bar.hidden = true; document.querySelector('#zy-clear').focus(); }
});
