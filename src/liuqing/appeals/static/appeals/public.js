// Residents' pages: "use my location" fills the latitude and longitude fields from the
// browser's geolocation; "print" prints the page. No library, no network request of our own;
// without JavaScript both buttons stay hidden and the fields can be typed in.
(function () {
  "use strict";

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  function locate(button) {
    var status = byId(button.getAttribute("data-status"));
    var lat = byId(button.getAttribute("data-lat"));
    var lon = byId(button.getAttribute("data-lon"));
    var say = function (key) {
      if (status) {
        status.textContent = button.getAttribute(key) || "";
      }
    };
    if (!("geolocation" in navigator) || !lat || !lon) {
      say("data-unsupported");
      return;
    }
    say("data-working");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        button.disabled = false;
        say("data-done");
      },
      function () {
        button.disabled = false;
        say("data-failed");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) {
      return;
    }
    var locator = target.closest("[data-locate]");
    if (locator) {
      event.preventDefault();
      locate(locator);
      return;
    }
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });

  function reveal() {
    var hidden = document.querySelectorAll("[data-locate], [data-print]");
    for (var i = 0; i < hidden.length; i++) {
      hidden[i].hidden = false;
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }
})();
