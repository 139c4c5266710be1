'use strict';
// select2, the admin's search-as-you-type picker, names its box by the shown text only (none
// while empty): name it by its field and its choice, e.g. "Regular vendor: Honey Hive".
{
    const $ = django.jQuery;

    function namePicker(select) {
        const shown = document.getElementById(`select2-${select.id}-container`);
        if (!shown) {
            return;
        }
        const option = select.selectedOptions[0];
        const choice = option && option.value ? option.text : '';
        const name = select.dataset.pickerName;
        shown.setAttribute('aria-label', choice ? `${name}: ${choice}` : name);
    }

    function nameAll(root) {
        root.querySelectorAll('select.admin-autocomplete[data-picker-name]').forEach(namePicker);
    }

    // After autocomplete.js (loaded before this file) has turned the selects into pickers.
    $(() => nameAll(document));
    document.addEventListener('formset:added', (event) => nameAll(event.target));
    $(document).on('change', 'select.admin-autocomplete[data-picker-name]', (event) => {
        namePicker(event.target);
    });
}
