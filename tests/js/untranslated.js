// English words in the interface text of a page rendered in Chinese. What came from a source or
// a reader (titles, abstracts, names, labels) sits in translate="no" elements and is skipped;
// so is code. Brand, format and standard names are allowed.
() => {
  const allowed = new Set(["AcademicHub", "arXiv", "BibTeX", "RIS", "CSL", "JSON", "CSL-JSON", "EN", "English",
    "ORCID", "iD", "Zotero", "RDF", "Better", "API", "RSS", "Atom", "OpenAlex", "Crossref", "PubMed", "bioRxiv",
    "medRxiv", "DOI", "LLM", "OpenAI", "URL", "Markdown", "HTML", "SMTP", "Webhook", "Feishu", "DingTalk", "Slack",
    "CC", "PDF", "UTC", "OAI-PMH", "OAI", "PMH", "PMID"]);
  const found = new Set();
  const note = (word, where) => { if (!allowed.has(word)) found.add(`${word} ← ${where.slice(0, 70)}`); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || el.closest('[translate="no"], script, style, code, pre, math, noscript')) continue;
    if (!el.offsetParent) continue;  // hidden text is not read
    for (const word of node.textContent.match(/[A-Za-z][A-Za-z'-]+/g) || []) note(word, node.textContent.trim());
  }
  for (const el of document.querySelectorAll("[placeholder], [title]")) {
    if (el.closest('[translate="no"]')) continue;
    for (const attr of ["placeholder", "title"]) {
      const text = el.getAttribute(attr) || "";
      for (const word of text.match(/[A-Za-z][A-Za-z'-]+/g) || []) note(word, `@${attr} ${text}`);
    }
  }
  return [...found];
}
