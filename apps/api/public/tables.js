// Progressive enhancement: on a small screen a list reflows into cards; each cell gets its column's name to show.
(function () {
  function label(root) {
  var tables = root.querySelectorAll('table.list')
  for (var t = 0; t < tables.length; t++) {
    var heads = tables[t].querySelectorAll('thead th')
    var names = []
    for (var h = 0; h < heads.length; h++) names.push(heads[h].textContent.trim())
    var rows = tables[t].querySelectorAll('tbody tr')
    for (var r = 0; r < rows.length; r++) {
      var cells = rows[r].children
      for (var c = 0; c < cells.length && c < names.length; c++) {
        if (c > 0 && names[c] && !cells[c].hasAttribute('data-label')) cells[c].setAttribute('data-label', names[c])
      }
    }
  }
  }
  label(document)
  // The live inbox replaces the list in place: it labels the new one with this.
  window.relaisLabelTables = label
})()
