// « Imprimer » buttons: the browser's print dialog (the page's print stylesheet shows the document only).
document.querySelectorAll('[data-print]').forEach((b) => b.addEventListener('click', () => window.print()))
