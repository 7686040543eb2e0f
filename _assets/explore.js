// Explorable figures (dlnbook.explore): the frames were computed when the notebook ran; this script
// builds one range input per control and shows the frame for the chosen combination of values.
// No kernel, no network. Without it (a notebook that has not run) the starting frame and a note show.
// A frame is an image file of the site (see _ext/explorable_frames.py) or inline base64 PNG.
(function () {
  function setup(root) {
    var data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    var img = root.querySelector("img");
    function source(frame) {
      return /\.png$/.test(frame) ? frame : "data:image/png;base64," + frame;
    }
    // fetch every frame of this figure at the first touch of its controls, so that moves are instant
    var fetched = false;
    function prefetch() {
      if (fetched) return;
      fetched = true;
      data.frames.forEach(function (frame) { new Image().src = source(frame); });
    }
    var controls = document.createElement("div");
    controls.className = "dlnbook-explore-controls";
    var inputs = data.labels.map(function (label, k) {
      var wrapper = document.createElement("label");
      wrapper.className = "dlnbook-explore-control";
      var input = document.createElement("input");
      input.type = "range";
      input.min = 0;
      input.max = data.sizes[k] - 1;
      input.step = 1;
      input.value = data.start[k];
      input.setAttribute("aria-label", label);
      var output = document.createElement("output");
      wrapper.append(label + " ", input, output);
      controls.appendChild(wrapper);
      input.addEventListener("input", update);
      return input;
    });
    function update() {
      var index = 0;
      inputs.forEach(function (input, k) {
        var i = Number(input.value);
        index = index * data.sizes[k] + i;
        input.setAttribute("aria-valuetext", data.values[k][i]);
        input.nextElementSibling.textContent = data.values[k][i];
      });
      var next = source(data.frames[index]);
      if (img.getAttribute("src") !== next) img.src = next;
    }
    controls.addEventListener("pointerenter", prefetch);
    controls.addEventListener("focusin", prefetch);
    root.insertBefore(controls, img);
    var note = root.querySelector(".dlnbook-explore-note");
    if (note) note.remove();
    update();
  }
  function setupAll() {
    document.querySelectorAll(".dlnbook-explore").forEach(setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupAll);
  } else {
    setupAll();
  }
})();
