() => {
  // [n] in an answer opens that answer's Sources block and shows passage n there.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.cite");
    if (!link) return;
    const passage = document.getElementById(link.getAttribute("href").slice(1));
    if (!passage) return;
    event.preventDefault();
    const block = passage.closest("details");
    if (block) block.open = true;
    document.querySelectorAll(".passage.active").forEach((p) => p.classList.remove("active"));
    passage.classList.add("active");
    passage.scrollIntoView({behavior: "smooth", block: "center"});
  }, true);
}
