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
.card h2{font-size:16px;line-height:1.4;margin:0 28px 6px 0;font-weight:650}
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
.banner h2{margin:0}.banner .body{margin:0;flex:1}
.slideout{bottom:20px;inset-inline-end:20px}
.arrow{position:absolute;width:12px;height:12px;background:var(--wp-bg);transform:rotate(45deg)}
.ring{position:fixed;z-index:2147483550;border-radius:6px;box-shadow:0 0 0 3px var(--wp-accent),0 0 0 9999px rgba(15,23,42,.18);pointer-events:none;transition:all .12s}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@keyframes wp-in{from{opacity:0;translate:0 6px}to{opacity:1;translate:0 0}}
@media (prefers-reduced-motion:reduce){.card,.ring{animation:none;transition:none}}
`,c=null,p=null,m=null;function S(){if(!c||!p){if(p=document.createElement("waypost-layer"),p.setAttribute("data-waypost-ignore",""),c=p.attachShadow({mode:"open"}),"adoptedStyleSheets"in Document.prototype&&"replaceSync"in CSSStyleSheet.prototype){let t=new CSSStyleSheet;t.replaceSync(v),c.adoptedStyleSheets=[t]}else{let t=document.createElement("style");t.textContent=v,c.appendChild(t)}m=a("div",{class:"sr","aria-live":"polite"}),c.appendChild(m)}return p.isConnected||document.documentElement.appendChild(p),c}function M(t){S(),m&&(m.textContent=t)}function a(t,n={},...e){let r=document.createElement(t);for(let[i,o]of Object.entries(n))r.setAttribute(i,o);for(let i of e)i!=null&&r.append(i);return r}function E(t){if(typeof t!="string"||!t)return null;let n=a("div",{class:"body"});return n.innerHTML=t,n}function H(t,n){let e=document.documentElement.dir||getComputedStyle(document.documentElement).direction;if(t.setAttribute("dir",e==="rtl"?"rtl":"ltr"),!n)return;let r={accent:"accent",background:"bg",text:"text"};for(let[i,o]of Object.entries(r))typeof n[i]=="string"&&t.style.setProperty(`--wp-${o}`,n[i]);typeof n.radius=="number"&&t.style.setProperty("--wp-radius",`${n.radius}px`),typeof n.width=="number"&&t.style.setProperty("--wp-width",`${n.width}px`)}var L=0;function T(t,n,e){let r=S(),i=`wp-title-${++L}`,o=a("div",{class:"wp","data-key":n.key});H(o,n.definition.theme);let s=a("div",{class:`card ${e.className}`,role:e.modal?"dialog":"region",tabindex:"-1"});e.modal&&s.setAttribute("aria-modal","true");let x=typeof e.title=="string"&&e.title?a("h2",{id:i},e.title):null;x?s.setAttribute("aria-labelledby",i):s.setAttribute("aria-label",n.definition.name??n.key);let w=a("button",{class:"close",type:"button","aria-label":t.words.close},"×");w.addEventListener("click",e.onClose);let f=a("div",{class:"row"});e.progress&&f.append(a("span",{class:"progress"},e.progress));for(let[l,d]of e.buttons.entries()){let g=l===e.buttons.length-1,u=a("button",{type:"button",class:g?"primary":""},d.label);u.addEventListener("click",()=>e.onButton(d)),f.append(u)}let k=typeof e.image=="string"&&e.image?a("img",{src:e.image,alt:""}):null;s.append(w,k??"",x??"",E(e.body)??"",f),e.modal&&o.append(a("div",{class:"backdrop"})),o.append(s);let b=document.activeElement;o.addEventListener("keydown",l=>{if(l.key==="Escape")l.stopPropagation(),e.onClose();else if(l.key==="Tab"&&e.modal){let d=Array.from(s.querySelectorAll("button,a[href],input,select,textarea")),g=d[0],u=d[d.length-1],h=r.activeElement;l.shiftKey&&h===g?(l.preventDefault(),u?.focus()):!l.shiftKey&&h===u&&(l.preventDefault(),g?.focus())}});let y=new MutationObserver(()=>{o.isConnected||(y.disconnect(),b&&b.isConnected&&e.modal&&b.focus())});return y.observe(r,{childList:!0}),r.append(o),(f.querySelector("button.primary")??s).focus({preventScroll:!0}),{wrap:o,card:s}}function $(t,n,e){if(e.action==="url"&&e.url){t.emit("$guide_cta_clicked",n,{$cta:e.label,$url:e.url});let r=new URL(e.url,location.href);r.origin===location.origin?location.assign(r.href):window.open(r.href,"_blank","noopener")}else e.action==="start"&&e.start&&(t.emit("$guide_cta_clicked",n,{$cta:e.label,$start:e.start}),t.start(e.start))}export{M as a,a as b,T as c,$ as d};
