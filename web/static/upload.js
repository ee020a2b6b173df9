// Schedule upload: a progress bar while a (large) file is sent, then while it is checked.
// Without JavaScript the form posts as usual; with it the same POST goes by XMLHttpRequest
// so that the browser can report how much of the file has been sent.
(function () {
  "use strict";
  var form = document.getElementById("schedule-form");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  if (!form || !bar || !status || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1) + " MB";
  }
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || !input.files.length) {
      return; // the browser's own check asks for a file
    }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var total = input.files[0].size;
    button.disabled = true;
    bar.hidden = false;
    bar.max = 100;
    bar.value = 0;
    status.textContent = "Sending the file: 0 of " + megabytes(total) + ".";
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable && progress.total > 0) {
        bar.value = Math.min(100, Math.round(100 * progress.loaded / progress.total));
        status.textContent = "Sending the file: " + megabytes(Math.min(total, progress.loaded)) +
          " of " + megabytes(total) + ".";
      }
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      bar.setAttribute("data-sent", "yes");
      status.textContent = "File sent. Checking every row; a large file takes a minute or two.";
    });
    request.addEventListener("load", function () {
      // The answer is the whole page (the counts or the list of problems): show it.
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () {
      bar.hidden = true;
      button.disabled = false;
      status.textContent = "The file could not be sent (the connection failed). Please try again.";
    });
    request.send(new FormData(form));
  });
})();
