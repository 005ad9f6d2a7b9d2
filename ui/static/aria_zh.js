// Gradio's own ARIA labels are English; screen readers on this Chinese app read Chinese ones.
(() => {
  const words = {
    "Close": "关闭", "Clear": "清除", "Copy": "复制", "Copied": "已复制", "Download": "下载", "Share": "分享",
    "Fullscreen": "全屏", "Exit fullscreen mode": "退出全屏", "View full screen": "全屏查看",
    "Table actions": "表格操作", "Copy table data": "复制表格数据", "Open cell menu": "单元格菜单",
    "Static column": "不可编辑的列", "Upload a file": "上传文件", "Upload file": "上传文件",
    "Uploaded files": "已上传的文件", "Click to upload or drop files": "点击上传或拖入文件", "Uploading": "正在上传", "Remove file": "移除文件",
    "Remove this file": "移除此文件", "Loading Progress": "加载进度", "Loading response": "正在生成回答",
    "More tabs": "更多标签页", "Reset to default value": "恢复默认值", "Submit": "提交", "Stop": "停止",
    "Toggle Sidebar": "展开或收起侧栏", "Open in new tab": "在新标签页打开", "Remove label": "移除标签",
    "Gradio footer navigation": "页脚导航", "Sort column": "排序", "Select all": "全选",
    "Dismiss": "关闭", "Expand": "展开", "Collapse": "收起", "Search": "搜索", "Dropdown": "下拉选择",
  };
  const patterns = [
    [/^number input for (.+)$/, "$1（数值输入）"], [/^range slider for (.+)$/, "$1（滑块）"],
    [/^Edit cell (.+)$/, "编辑单元格 $1"], [/^Sort by (.+)$/, "按 $1 排序"],
  ];
  const fix = (el) => {
    for (const attr of ["aria-label", "title"]) {
      const v = el.getAttribute(attr);
      if (!v) continue;
      let out = words[v];
      if (!out) for (const [re, to] of patterns) if (re.test(v)) { out = v.replace(re, to); break; }
      if (out && out !== v) el.setAttribute(attr, out);
    }
  };
  const sweep = (root) => { if (root.querySelectorAll) root.querySelectorAll("[aria-label],[title]").forEach(fix); };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "attributes") fix(c.target);
      else c.addedNodes.forEach((n) => { if (n.nodeType === 1) { fix(n); sweep(n); } });
    }
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label", "title"] });
  document.addEventListener("DOMContentLoaded", () => sweep(document));
})();
