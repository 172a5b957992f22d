// Progressive enhancement of the filing form: as the secretary types the question (or picks the theme or the
// commune), the block « Fiches qui peuvent répondre » is refreshed by the same request as its button, without a reload.
(function () {
  var form = document.querySelector('form[data-suggestions]')
  var zone = document.getElementById('fiches-suggestions')
  if (!form || !zone || !window.fetch || !window.FormData || !window.URLSearchParams || !window.DOMParser) return
  var timer = null
  var latest = 0
  var lastSent = ''
  function refresh() {
    var data = new FormData(form)
    data.append('chercher', '1')
    data.delete('fichiers') // the files go with the filing itself, never with a search
    var key = String(data.get('themeCode')) + '|' + String(data.get('communeInsee')) + '|' + String(data.get('question')).trim()
    if (key === lastSent) return
    lastSent = key
    var mine = ++latest
    fetch(form.getAttribute('action'), { method: 'POST', body: new URLSearchParams(data), credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status) })
      .then(function (html) {
        if (mine !== latest) return
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('fiches-suggestions')
        if (fresh) zone.innerHTML = fresh.innerHTML
        zone.setAttribute('data-actualise', String(mine))
      })
      .catch(function () { lastSent = '' /* the button still works */ })
  }
  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 400) }
  var question = document.getElementById('question')
  if (question) question.addEventListener('input', soon)
  var theme = document.getElementById('themeCode')
  if (theme) theme.addEventListener('change', refresh)
  var commune = document.getElementById('communeInsee')
  if (commune) commune.addEventListener('change', refresh)
})()
