// Explorable figures (dlnbook.explore): the frames were computed when the notebook ran; moving a
// control shows the frame for the chosen combination of values. No kernel, no network.
(function () {
  function setup(root) {
    var data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    var img = root.querySelector("img");
    var inputs = Array.prototype.slice.call(root.querySelectorAll("input[type=range]"));
    function update() {
      var index = 0;
      inputs.forEach(function (input, k) {
        var i = Number(input.value);
        index = index * data.sizes[k] + i;
        input.setAttribute("aria-valuetext", data.values[k][i]);
        input.nextElementSibling.textContent = data.values[k][i];
      });
      img.src = "data:image/png;base64," + data.frames[index];
    }
    inputs.forEach(function (input) {
      input.disabled = false;  // inert until this script runs
      input.addEventListener("input", update);
    });
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
