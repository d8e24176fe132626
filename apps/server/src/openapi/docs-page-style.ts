/** The docs page's only styling: inline (helmet's CSP allows inline styles, never inline scripts). */
export const DOCS_PAGE_STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff;display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;width:290px;flex:none;padding:16px;border-right:1px solid #d0d7de;background:#f6f8fa;font-size:13px}
nav h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#59636e;margin:18px 0 6px}
nav ul{list-style:none;margin:0;padding:0}
nav li{margin:3px 0}
nav a{color:inherit;text-decoration:none}
nav a:hover{text-decoration:underline}
.brand{font-weight:600;font-size:16px;margin:0}
main{flex:1;min-width:0;padding:24px 40px;max-width:1100px}
h1{margin-top:0}
h2{border-bottom:1px solid #d0d7de;padding-bottom:6px;margin-top:40px;text-transform:capitalize}
h3{font-size:17px;margin:0 0 6px}
h4{margin:16px 0 6px;font-size:14px}
.operation,.schema{border:1px solid #d0d7de;border-radius:8px;padding:16px 18px;margin:18px 0}
.summary{font-weight:600;margin:4px 0}
.meta,.muted{color:#59636e}
.meta{font-size:13px}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f6f8fa;border-radius:4px;padding:1px 4px;word-break:break-word}
pre{background:#0d1117;color:#e6edf3;border-radius:6px;padding:12px 14px;overflow:auto}
pre code{background:none;color:inherit;padding:0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.method{display:inline-block;min-width:52px;text-align:center;border-radius:4px;padding:1px 6px;font:600 12px ui-monospace,monospace;color:#fff}
.method-get{background:#1f6feb}.method-post{background:#1a7f37}.method-delete{background:#cf222e}
.badge{display:inline-block;font-size:11px;border:1px solid #bf8700;color:#9a6700;border-radius:10px;padding:0 6px;margin-left:4px}
.badge.muted{border-color:#d0d7de;color:#59636e}
@media (max-width:800px){body{display:block}nav{position:static;height:auto;width:auto}main{padding:16px}}
`;
