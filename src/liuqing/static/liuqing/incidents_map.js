/* The incident map pages: cells (H3 hexagons, GeoJSON) coloured by level, Gi* bin or emerging
   pattern over the unit boundaries, drawn with the vendored Leaflet on a canvas. No tiles
   unless the deployment configured a tile URL. The month slider submits the filter form; the
   PNG export draws the cells and the legend on a canvas of its own (works offline), after
   the server has recorded the export in the audit log (no record, no file). */
(function () {
  "use strict";

  function config() {
    var node = document.getElementById("map-config");
    return node ? JSON.parse(node.textContent) : null;
  }

  function colourOf(cfg, props) {
    var key;
    if (cfg.layer === "hotspots") {
      key = String(props.gi_bin);
    } else if (cfg.layer === "emerging") {
      key = props.pattern || "no_pattern_detected";
    } else {
      key = props.level;
    }
    for (var i = 0; i < cfg.legend.length; i++) {
      if (cfg.legend[i].key === key) {
        return cfg.legend[i].colour;
      }
    }
    return "#cccccc";
  }

  function opacityOf(cfg, props) {
    if (cfg.layer === "levels") {
      return props.count > 0 ? 0.75 : 0.15;
    }
    if (cfg.layer === "hotspots") {
      return props.gi_bin !== 0 ? 0.8 : 0.15;
    }
    return props.pattern && props.pattern !== "no_pattern_detected" ? 0.8 : 0.15;
  }

  function paintLegend() {
    var swatches = document.querySelectorAll("#map-legend .swatch");
    for (var i = 0; i < swatches.length; i++) {
      swatches[i].style.backgroundColor = swatches[i].getAttribute("data-colour");
    }
  }

  function wireSlider() {
    var slider = document.getElementById("month-slider");
    var cfg = config();
    if (!slider || !cfg) {
      return;
    }
    var label = document.getElementById("month-label");
    var input = document.getElementById("month-input");
    slider.addEventListener("input", function () {
      var month = cfg.months[Number(slider.value)];
      label.textContent = month;
      slider.setAttribute("aria-valuetext", month);
    });
    slider.addEventListener("change", function () {
      input.value = cfg.months[Number(slider.value)];
      document.getElementById("map-form").submit();
    });
  }

  function exportPng(map, cfg, cells, filename) {
    var size = map.getSize();
    var legendWidth = 260;
    var canvas = document.createElement("canvas");
    canvas.width = size.x + legendWidth;
    canvas.height = Math.max(size.y, 40 + 22 * cfg.legend.length);
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    cells.features.forEach(function (feature) {
      var ring = feature.geometry.coordinates[0];
      ctx.beginPath();
      ring.forEach(function (pos, i) {
        var p = map.latLngToContainerPoint([pos[1], pos[0]]);
        if (i === 0) {
          ctx.moveTo(p.x, p.y);
        } else {
          ctx.lineTo(p.x, p.y);
        }
      });
      ctx.closePath();
      ctx.globalAlpha = opacityOf(cfg, feature.properties);
      ctx.fillStyle = colourOf(cfg, feature.properties);
      ctx.fill();
      ctx.globalAlpha = 0.5;
      ctx.strokeStyle = "#666666";
      ctx.lineWidth = 0.5;
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    var x = size.x + 12;
    ctx.fillStyle = "#000000";
    ctx.font = "bold 14px sans-serif";
    ctx.fillText(cfg.title, x, 20);
    ctx.font = "12px sans-serif";
    ctx.fillText(cfg.subtitle, x, 38);
    cfg.legend.forEach(function (item, i) {
      var y = 52 + 22 * i;
      ctx.fillStyle = item.colour;
      ctx.fillRect(x, y, 14, 14);
      ctx.strokeStyle = "#666666";
      ctx.strokeRect(x, y, 14, 14);
      ctx.fillStyle = "#000000";
      ctx.fillText(item.label + " (" + item.count + ")", x + 20, y + 12);
    });
    var link = document.createElement("a");
    link.download = filename;
    link.href = canvas.toDataURL("image/png");
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function draw() {
    var node = document.getElementById("incident-map");
    var cfg = config();
    if (!node || !cfg || typeof L === "undefined") {
      return;
    }
    var map = L.map(node, { preferCanvas: true, attributionControl: Boolean(cfg.tiles) });
    if (cfg.tiles) {
      L.tileLayer(cfg.tiles, { attribution: cfg.attribution, maxZoom: 19 }).addTo(map);
    }
    fetch(node.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (!data.cells) {
          return;
        }
        var boundaries = L.geoJSON(data.boundaries, {
          style: function () {
            return { color: "#333333", weight: 2, fill: false, dashArray: "4 3" };
          },
        }).addTo(map);
        var cells = L.geoJSON(data.cells, {
          style: function (feature) {
            return {
              color: "#777777",
              weight: 0.5,
              fillColor: colourOf(cfg, feature.properties),
              fillOpacity: opacityOf(cfg, feature.properties),
            };
          },
          onEachFeature: function (feature, layer) {
            var p = feature.properties;
            layer.bindTooltip(
              p.cell + " · " + p.count + (p.z !== null ? " · z " + p.z.toFixed(2) : "")
            );
          },
        }).addTo(map);
        var bounds = cells.getBounds();
        if (boundaries.getBounds().isValid()) {
          bounds.extend(boundaries.getBounds());
        }
        map.fitBounds(bounds, { padding: [10, 10] });
        node.setAttribute("data-cells", String(data.cells.features.length));
        node.classList.add("drawn");
        var button = document.getElementById("export-png");
        var form = document.getElementById("export-png-form");
        var failed = document.getElementById("export-png-error");
        if (button && form) {
          button.addEventListener("click", function () {
            button.disabled = true;
            failed.hidden = true;
            // Audited first: the file is saved only once the server recorded the export.
            fetch(form.action, {
              method: "POST",
              body: new FormData(form),
              credentials: "same-origin",
              headers: { Accept: "application/json" },
            })
              .then(function (response) {
                if (response.status !== 201) {
                  throw new Error("export not recorded: " + response.status);
                }
                return response.json();
              })
              .then(function (answer) {
                exportPng(map, cfg, data.cells, answer.filename);
              })
              .catch(function () {
                failed.hidden = false;
              })
              .then(function () {
                button.disabled = false;
              });
          });
        }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    paintLegend();
    wireSlider();
    draw();
  });
})();
