// Progressive enhancement: the chosen CSV file is read into the form's text field (without JavaScript, paste it).
(function () {
  var input = document.getElementById('fichier-csv')
  var area = document.getElementById('contenu-csv')
  if (!input || !area || !window.FileReader) return
  input.addEventListener('change', function () {
    var file = input.files && input.files[0]
    if (!file) return
    var reader = new FileReader()
    reader.onload = function () { area.value = String(reader.result || '') }
    reader.readAsText(file, 'utf-8')
  })
})()
