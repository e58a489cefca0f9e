var v=`
:host{all:initial}
*{box-sizing:border-box}
.wp{--wp-accent:#4338ca;--wp-bg:#fff;--wp-text:#1f2937;--wp-muted:#4b5563;--wp-radius:10px;--wp-width:340px;
font:14px/1.55 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",Meiryo,sans-serif;color:var(--wp-text);
overflow-wrap:anywhere;word-break:normal;line-break:strict}
.card{position:fixed;z-index:2147483600;background:var(--wp-bg);color:var(--wp-text);border-radius:var(--wp-radius);
box-shadow:0 12px 32px rgba(15,23,42,.28),0 0 0 1px rgba(15,23,42,.08);width:min(var(--wp-width),calc(100vw - 24px));padding:18px 18px 14px;
animation:wp-in .16s ease-out}
.card:focus{outline:none}
.card h2{font-size:16px;line-height:1.4;margin-block:0 6px;margin-inline:0 28px;font-weight:650}
.card .body{color:var(--wp-muted);margin:0 0 12px}
.card .body p{margin:0 0 8px}.card .body a{color:var(--wp-accent)}
.card img{max-width:100%;border-radius:6px;margin:0 0 10px;display:block}
.row{display:flex;gap:8px;align-items:center;justify-content:flex-end;flex-wrap:wrap}
.row .progress{margin-inline-end:auto;color:var(--wp-muted);font-size:12px}
button{font:inherit;cursor:pointer;border-radius:7px;padding:7px 14px;border:1px solid rgba(15,23,42,.18);background:var(--wp-bg);color:var(--wp-text)}
button.primary{background:var(--wp-accent);border-color:var(--wp-accent);color:#fff}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid var(--wp-accent);outline-offset:2px}
.close{position:absolute;top:8px;inset-inline-end:8px;border:0;background:transparent;width:30px;height:30px;padding:0;font-size:20px;line-height:1;color:var(--wp-muted)}
.backdrop{position:fixed;inset:0;z-index:2147483500;background:rgba(15,23,42,.45)}
.modal{top:50%;left:50%;transform:translate(-50%,-50%);width:min(calc(var(--wp-width) + 120px),calc(100vw - 24px))}
.banner{top:0;left:0;right:0;width:auto;border-radius:0;display:flex;gap:16px;align-items:center;padding:12px 48px 12px 18px}
.banner h2{margin:0}.banner .body{margin:0;flex:1}.banner .body p{margin:0}
.slideout{bottom:20px;inset-inline-end:20px}
.arrow{position:absolute;width:12px;height:12px;background:var(--wp-bg);transform:rotate(45deg)}
.ring{position:fixed;z-index:2147483550;border-radius:6px;box-shadow:0 0 0 3px var(--wp-accent),0 0 0 9999px rgba(15,23,42,.18);pointer-events:none;transition:all .12s}
.tip{width:min(280px,calc(100vw - 24px));padding:12px 14px}.tip h2{font-size:14px}.tip .body{margin:0}
.pin{position:fixed;z-index:2147483580;border:0;padding:0;cursor:pointer}
.beacon{width:14px;height:14px;border-radius:50%;background:var(--wp-accent);box-shadow:0 0 0 4px color-mix(in srgb,var(--wp-accent) 30%,transparent);animation:wp-pulse 1.6s infinite}
.icon{width:22px;height:22px;border-radius:50%;background:var(--wp-accent);color:#fff;font-weight:700;font-size:13px;line-height:22px;text-align:center}
.label{background:var(--wp-accent);color:#fff;border-radius:999px;padding:5px 12px}
.hub-button{position:fixed;z-index:2147483580;bottom:20px;inset-inline-end:20px;border-radius:999px;background:var(--wp-accent);color:#fff;border:0;padding:10px 18px;box-shadow:0 6px 18px rgba(15,23,42,.3)}
.hub{bottom:76px;inset-inline-end:20px;max-height:min(560px,calc(100vh - 100px));overflow:auto;width:min(360px,calc(100vw - 24px))}
.hub input[type=search]{width:100%;font:inherit;padding:8px 10px;border:1px solid rgba(15,23,42,.2);border-radius:7px;margin:0 0 12px}
.hub h3{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--wp-muted);margin:12px 0 6px}
.hub ul{list-style:none;margin:0;padding:0}.hub li{margin:0 0 4px}
.entry{display:flex;width:100%;text-align:start;gap:8px;align-items:center;border:0;background:transparent;padding:7px 8px;border-radius:7px;color:var(--wp-text);text-decoration:none}
.entry:hover{background:color-mix(in srgb,var(--wp-accent) 8%,transparent)}.entry[aria-disabled=true]{opacity:.5;cursor:default}
.check{width:18px;height:18px;border-radius:50%;border:2px solid var(--wp-accent);flex:none;display:inline-flex;align-items:center;justify-content:center;font-size:11px}
.check.done{background:var(--wp-accent);color:#fff}
.bar{height:6px;border-radius:3px;background:rgba(15,23,42,.1);margin:4px 0 10px}.bar>div{height:100%;border-radius:3px;background:var(--wp-accent)}
.scale{display:flex;gap:3px;margin:0 0 6px}.scale button{flex:1 1 0;min-width:0;padding:7px 0}
.scale button[aria-pressed=true]{background:var(--wp-accent);color:#fff;border-color:var(--wp-accent)}
.ends{display:flex;justify-content:space-between;font-size:12px;color:var(--wp-muted);margin:0 0 10px}
.choices label{display:flex;gap:8px;align-items:center;margin:0 0 6px}
textarea,.other{width:100%;font:inherit;padding:8px;border:1px solid rgba(15,23,42,.2);border-radius:7px;margin:0 0 10px}
@keyframes wp-pulse{50%{box-shadow:0 0 0 8px color-mix(in srgb,var(--wp-accent) 10%,transparent)}}
.badge{position:fixed;z-index:2147483590;bottom:12px;inset-inline-start:12px;background:#1f2937;color:#fff;border-radius:999px;padding:3px 3px 3px 12px;font-size:12px;box-shadow:0 4px 12px rgba(15,23,42,.3)}
.badge button{padding:2px 10px;border:0;border-radius:999px;font-size:12px}.badge button:focus-visible{outline-color:#fff}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@keyframes wp-in{from{opacity:0;translate:0 6px}to{opacity:1;translate:0 0}}
@media (prefers-reduced-motion:reduce){.card,.ring,.beacon{animation:none;transition:none}}
`,l=null,c=null,f=null;function k(){if(!l||!c){if(c=document.createElement("waypost-layer"),c.setAttribute("data-waypost-ignore",""),l=c.attachShadow({mode:"open"}),"adoptedStyleSheets"in Document.prototype&&"replaceSync"in CSSStyleSheet.prototype){let t=new CSSStyleSheet;t.replaceSync(v),l.adoptedStyleSheets=[t]}else{let t=document.createElement("style");t.textContent=v,l.appendChild(t)}f=o("div",{class:"sr","aria-live":"polite"}),l.appendChild(f)}return c.isConnected||document.documentElement.appendChild(c),l}function z(t){k(),f&&(f.textContent=t)}function o(t,r={},...e){let n=document.createElement(t);for(let[i,a]of Object.entries(r))n.setAttribute(i,a);for(let i of e)i!=null&&n.append(i);return n}function E(t){if(typeof t!="string"||!t)return null;let r=o("div",{class:"body"});return r.innerHTML=t,r}function H(t,r){let e=document.documentElement.dir||getComputedStyle(document.documentElement).direction;if(t.setAttribute("dir",e==="rtl"?"rtl":"ltr"),!r)return;let n={accent:"accent",background:"bg",text:"text"};for(let[i,a]of Object.entries(n))typeof r[i]=="string"&&t.style.setProperty(`--wp-${a}`,r[i]);typeof r.radius=="number"&&t.style.setProperty("--wp-radius",`${r.radius}px`),typeof r.width=="number"&&t.style.setProperty("--wp-width",`${r.width}px`)}var L=0;function C(t,r,e){let n=k(),i=`wp-title-${++L}`,a=o("div",{class:"wp","data-key":r.key});H(a,{...t.theme,...r.definition.theme});let d=o("div",{class:`card ${e.className}`,role:e.modal?"dialog":"region",tabindex:"-1"});e.modal&&d.setAttribute("aria-modal","true");let m=typeof e.title=="string"&&e.title?o("h2",{id:i},e.title):null;m?d.setAttribute("aria-labelledby",i):d.setAttribute("aria-label",r.definition.name??r.key);let w=o("button",{class:"close",type:"button","aria-label":t.words.close},"×");w.addEventListener("click",e.onClose);let u=o("div",{class:"row"});e.progress&&u.append(o("span",{class:"progress"},e.progress));for(let[p,s]of e.buttons.entries()){let b=p===e.buttons.length-1,x=o("button",{type:"button",class:b?"primary":""},s.label);x.addEventListener("click",()=>e.onButton(s)),u.append(x)}let S=typeof e.image=="string"&&e.image?o("img",{src:e.image,alt:""}):null;d.append(w,S??"",m??"",E(e.body)??"",u),e.modal&&a.append(o("div",{class:"backdrop"})),a.append(d);let g=document.activeElement;a.addEventListener("keydown",p=>{if(p.key==="Escape")p.stopPropagation(),e.onClose();else if(p.key==="Tab"&&e.modal){let s=Array.from(d.querySelectorAll("button,a[href],input,select,textarea")),b=s[0],x=s[s.length-1],y=n.activeElement;p.shiftKey&&y===b?(p.preventDefault(),x?.focus()):!p.shiftKey&&y===x&&(p.preventDefault(),b?.focus())}});let h=new MutationObserver(()=>{a.isConnected||(h.disconnect(),g&&g.isConnected&&e.modal&&g.focus())});return h.observe(n,{childList:!0}),n.append(a),(e.modal||e.focus)&&(u.querySelector("button.primary")??d).focus({preventScroll:!0}),{wrap:a,card:d}}function M(t,r,e){if(e.action==="url"&&e.url){t.emit("$guide_cta_clicked",r,{$cta:e.label,$url:e.url});let n=new URL(e.url,location.href);n.origin===location.origin?location.assign(n.href):window.open(n.href,"_blank","noopener")}else e.action==="start"&&e.start&&(t.emit("$guide_cta_clicked",r,{$cta:e.label,$start:e.start}),t.start(e.start))}export{k as a,z as b,o as c,E as d,H as e,C as f,M as g};
