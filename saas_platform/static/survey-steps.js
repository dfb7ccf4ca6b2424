// The survey one section at a time: a progressive enhancement of the resident's form
// (form[data-steps]). Without JavaScript the whole form is one page, as the server renders it.
// - One section per screen, "Krok 2 z 6", Dalej/Wstecz; the section's heading takes the focus.
// - Before moving on, the section's required questions are checked, with the same error
//   summary and field messages the server gives (the texts come from the page, translated).
// - The server is unchanged: one POST with every answer, checked in full there.
// - A page the server returned with errors opens at the first section with an error, and the
//   summary's links open the section of the question they point to.
(function () {
  "use strict";

  var SUMMARY_ID = "bledy-kroku";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return name in values ? String(values[name]) : match;
    });
  }

  function answered(question) {
    var name = question.getAttribute("data-field");
    var inputs = question.querySelectorAll("[name='" + name + "']");
    for (var i = 0; i < inputs.length; i += 1) {
      var input = inputs[i];
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) return true;
      } else if (input.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function Steps(form) {
    this.form = form;
    this.sections = Array.prototype.slice.call(form.querySelectorAll("fieldset.section"));
    this.submit = form.querySelector("button[type=submit]");
    this.title = document.title.replace(form.getAttribute("data-error-prefix") + " ", "");
    this.current = 0;
    this.build();
  }

  Steps.prototype.text = function (name) {
    return this.form.getAttribute("data-" + name) || "";
  };

  Steps.prototype.button = function (label, secondary) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = secondary ? "button secondary" : "button";
    button.textContent = label;
    return button;
  };

  Steps.prototype.build = function () {
    var self = this;
    this.form.classList.add("steps");
    this.progress = document.createElement("p");
    this.progress.className = "step-progress";
    this.progress.id = "krok";
    this.sections[0].parentNode.insertBefore(this.progress, this.sections[0]);
    this.sections.forEach(function (section) {
      var heading = section.querySelector("legend h2");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.setAttribute("aria-describedby", "krok");
      }
    });
    this.nav = document.createElement("div");
    this.nav.className = "step-nav";
    this.back = this.button(this.text("back"), true);
    this.next = this.button(this.text("next"), false);
    this.nav.appendChild(this.back);
    this.nav.appendChild(this.next);
    this.submit.parentNode.insertBefore(this.nav, this.submit);
    this.nav.appendChild(this.submit);

    this.back.addEventListener("click", function () { self.show(self.current - 1, true); });
    this.next.addEventListener("click", function () { self.advance(); });
    this.form.addEventListener("submit", function (event) {
      // Enter in a field submits the form: before the last section, that means "Dalej".
      if (self.current < self.sections.length - 1) {
        event.preventDefault();
        self.advance();
        return;
      }
      var invalid = self.firstInvalid();
      if (invalid !== null) {
        event.preventDefault();
        self.show(invalid, false);
        self.report(invalid);
      }
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      var index = self.sectionOf(target);
      if (index === null) return;
      event.preventDefault();
      self.show(index, false);
      target.focus();
    });

    var start = this.form.querySelector(".question.has-error");
    this.show(start ? this.sectionOf(start) : 0, false);
  };

  Steps.prototype.sectionOf = function (element) {
    for (var i = 0; element && i < this.sections.length; i += 1) {
      if (this.sections[i].contains(element)) return i;
    }
    return null;
  };

  Steps.prototype.show = function (index, focus) {
    var self = this;
    var last = this.sections.length - 1;
    this.current = Math.max(0, Math.min(index, last));
    this.sections.forEach(function (section, i) { section.hidden = i !== self.current; });
    this.progress.textContent = fill(this.text("step-label"), {
      step: this.current + 1, total: this.sections.length
    });
    this.back.hidden = this.current === 0;
    this.next.hidden = this.current === last;
    this.submit.hidden = this.current !== last;
    if (focus) {
      this.removeSummary();
      var heading = this.sections[this.current].querySelector("legend h2");
      if (heading) heading.focus();
    }
  };

  Steps.prototype.advance = function () {
    if (this.check(this.current)) {
      this.setTitle(false);
      this.show(this.current + 1, true);
    } else {
      this.report(this.current);
    }
  };

  Steps.prototype.missing = function (index) {
    var required = this.sections[index].querySelectorAll(".question[data-required]");
    return Array.prototype.filter.call(required, function (q) { return !answered(q); });
  };

  Steps.prototype.check = function (index) {
    return this.missing(index).length === 0;
  };

  Steps.prototype.firstInvalid = function () {
    for (var i = 0; i < this.sections.length; i += 1) {
      if (!this.check(i)) return i;
    }
    return null;
  };

  Steps.prototype.clearErrors = function (section) {
    section.querySelectorAll(".question.has-error").forEach(function (question) {
      question.classList.remove("has-error");
      var name = question.getAttribute("data-field");
      var message = document.getElementById(name + "-blad");
      if (message) message.remove();
      [question].concat(Array.prototype.slice.call(question.querySelectorAll("[aria-describedby]")))
        .forEach(function (element) {
          var ids = (element.getAttribute("aria-describedby") || "").split(" ")
            .filter(function (id) { return id && id !== name + "-blad"; });
          if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
          else element.removeAttribute("aria-describedby");
        });
    });
  };

  Steps.prototype.markError = function (question, text) {
    var name = question.getAttribute("data-field");
    question.classList.add("has-error");
    var message = document.createElement("p");
    message.className = "field-error";
    message.id = name + "-blad";
    var prefix = document.createElement("span");
    prefix.className = "visually-hidden";
    prefix.textContent = this.text("error-prefix") + " ";
    message.appendChild(prefix);
    message.appendChild(document.createTextNode(text));
    var control = question.querySelector(".scale, .choices, select, textarea");
    control.parentNode.insertBefore(message, control);
    // As the server does: on the fieldset of a choice, on the field itself otherwise.
    var described = question.tagName === "FIELDSET" ? question : control;
    var ids = (described.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    ids.push(message.id);
    described.setAttribute("aria-describedby", ids.join(" "));
  };

  Steps.prototype.removeSummary = function () {
    var old = document.getElementById(SUMMARY_ID);
    if (old) old.remove();
  };

  Steps.prototype.setTitle = function (error) {
    document.title = error ? this.text("error-prefix") + " " + this.title : this.title;
  };

  Steps.prototype.report = function (index) {
    var self = this;
    var section = this.sections[index];
    this.clearErrors(section);
    this.removeSummary();
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.id = SUMMARY_ID;
    summary.setAttribute("role", "alert");
    summary.setAttribute("aria-labelledby", SUMMARY_ID + "-tytul");
    summary.setAttribute("tabindex", "-1");
    var heading = document.createElement("h2");
    heading.id = SUMMARY_ID + "-tytul";
    heading.textContent = this.text("error-heading");
    var list = document.createElement("ul");
    this.missing(index).forEach(function (question) {
      var text = fill(self.text("required-message"), {
        text: question.getAttribute("data-question")
      });
      self.markError(question, text);
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + question.getAttribute("data-target");
      link.textContent = text;
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.appendChild(heading);
    summary.appendChild(list);
    this.progress.parentNode.insertBefore(summary, this.progress.nextSibling);
    this.setTitle(true);
    summary.focus();
  };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-steps]");
    if (form && form.querySelectorAll("fieldset.section").length > 1) new Steps(form);
  });
})();
