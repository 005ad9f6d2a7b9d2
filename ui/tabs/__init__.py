"""The app's four tabs: 问答 (chat), 相似举措 (similar), 资料库 (library), 上传 (upload)."""
