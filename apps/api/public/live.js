// Progressive enhancement: a new referral for this organisation refreshes the list in place (no reload).
(function () {
  if (!('EventSource' in window)) return
  var zone = document.getElementById('zone-liste')
  var notice = document.getElementById('annonce-flux')
  if (!zone) return
  var source = new EventSource('/saisines/flux')
  source.addEventListener('open', function () { document.body.setAttribute('data-flux', 'ouvert') })
  source.addEventListener('saisine', function (event) {
    var data = {}
    try { data = JSON.parse(event.data) } catch (e) { return }
    fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status) })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html')
        var fresh = doc.getElementById('zone-liste')
        if (fresh) { zone.innerHTML = fresh.innerHTML; if (window.relaisLabelTables) window.relaisLabelTables(zone) }
        if (notice) {
          notice.textContent = 'Nouvelle saisine reçue : ' + (data.reference || '') + '.'
          notice.hidden = false
        }
      })
      .catch(function () { /* the next reload shows it anyway */ })
  })
})()
