// Files over the upload limit are refused here, before Gradio sends them (its own refusal is an English
// toast that fades and leaves a bare error badge): the status line says why, in Chinese, and stays.
// `element` is the #zy-up-status component; ui/tabs/upload.py puts the limit in place of the placeholder.
const MAX = __MAX_BYTES__;
const mb = (n) => (n / 1024 / 1024).toFixed(1);
const refuse = (files) => {
  const big = [...files].filter((f) => f.size > MAX);
  if (!big.length) return false;
  const esc = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  element.innerHTML = '<div class="zy-error" role="alert">' + big.map((f) => '✗ ' + esc(f.name) + '：文件大小 ' + mb(f.size)
    + ' MB，超过上传上限 ' + Math.round(MAX / 1024 / 1024) + ' MB，未上传。').join('<br>')
    + '请把讲话稿拆成几个较小的文件（例如按会议分开）再上传。</div>';
  return true;
};
const inside = (event) => event.target.closest && event.target.closest('#zy-up-files');
document.addEventListener('change', (event) => {
  if (!inside(event) || !event.target.files || !refuse(event.target.files)) return;
  event.stopImmediatePropagation();
  event.target.value = '';
}, true);
document.addEventListener('drop', (event) => {
  if (!inside(event) || !event.dataTransfer || !refuse(event.dataTransfer.files)) return;
  event.preventDefault();
  event.stopImmediatePropagation();
}, true);
